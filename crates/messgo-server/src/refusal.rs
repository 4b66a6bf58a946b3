//! Every rule a change can break inside the store's transaction, as one enum: the
//! SQL refuses with a [`Refusal`], services pass it on, and `http/error.rs` maps
//! each to its status and words exactly once (the socket's nacks reuse that map).
//! A new rule is a new variant; the compiler then asks for its status and words.

/// A rule a change broke, checked where the data is (membership, admin rights,
/// epochs, ids).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Only a group's admins may do this.
    NotAdmin,
    /// Groups hold only the creator's contacts.
    NotAContact,
    /// A group-only change on a direct or assistant chat.
    NotAGroup,
    AlreadyMember,
    GroupFull,
    /// Someone else opened that epoch first.
    EpochConflict,
    /// New epoch keys must cover exactly the current members.
    EpochKeysMismatch,
    /// The chat needs a new epoch before this message.
    EpochStale,
    /// An attachment is missing, expired, or not the sender's to attach here.
    InvalidBlob,
    /// A message id taken by another message.
    DuplicateId,
    /// An invite that is wrong, used up, expired or revoked: one answer for all.
    InviteInvalid,
    /// A reaction's or an edit's target is not a live message the sender can see in
    /// that chat: one answer for missing, deleted, expired, unseen or a system message.
    TargetNotFound,
    /// Only a message's sender may edit it.
    NotYourMessage,
}

impl Refusal {
    /// The machine-readable code clients see.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::NotAdmin => "not_admin",
            Refusal::NotAContact => "not_a_contact",
            Refusal::NotAGroup => "not_a_group",
            Refusal::AlreadyMember => "already_member",
            Refusal::GroupFull => "group_full",
            Refusal::EpochConflict => "epoch_conflict",
            Refusal::EpochKeysMismatch => "epoch_keys_mismatch",
            Refusal::EpochStale => "epoch_stale",
            Refusal::InvalidBlob => "invalid_blob",
            Refusal::DuplicateId => "duplicate_id",
            Refusal::InviteInvalid => "invite_invalid",
            Refusal::TargetNotFound => "target_not_found",
            Refusal::NotYourMessage => "not_your_message",
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}
