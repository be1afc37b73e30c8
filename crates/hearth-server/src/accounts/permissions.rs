//! What each role may do. Instance admins may do everything; in a group, owners edit it and
//! appoint its staff, moderators handle members and join requests, and community managers
//! read and write announcements but remove nothing.

use hearth_storage::{Account, Group, GroupRole, StaffMember};

use super::AuthError;

/// Something a staff member may or may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Create groups, manage accounts, federation policy.
    AdministerInstance,
    /// See a group's staff pages at all.
    ViewGroup,
    /// Edit the profile, rules and settings; archive.
    EditGroup,
    /// Appoint and remove the group's staff.
    ManageStaff,
    /// Accept or reject join requests; invite.
    ManageMembers,
    /// Approve or reject posts held for review.
    ReviewPosts,
    /// Create, edit and cancel the group's events; see who is going.
    ManageEvents,
    /// Post announcements and polls as the group; set its welcome message.
    PostAsGroup,
}

impl Permission {
    fn least_role(self) -> Option<GroupRole> {
        match self {
            Permission::AdministerInstance => None,
            Permission::ViewGroup | Permission::ManageEvents | Permission::PostAsGroup => {
                Some(GroupRole::Manager)
            }
            Permission::ManageMembers | Permission::ReviewPosts => Some(GroupRole::Moderator),
            Permission::EditGroup | Permission::ManageStaff => Some(GroupRole::Owner),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Permission::AdministerInstance => "only instance admins can do this",
            Permission::ViewGroup => "you are not on this group's staff",
            Permission::EditGroup => {
                "only the group's owners and instance admins can edit the group"
            }
            Permission::ManageStaff => {
                "only the group's owners and instance admins can appoint its staff"
            }
            Permission::ManageMembers => {
                "only the group's moderators, owners and instance admins can manage members"
            }
            Permission::ReviewPosts => {
                "only the group's moderators, owners and instance admins can review held posts"
            }
            Permission::ManageEvents => "you are not on this group's staff",
            Permission::PostAsGroup => "you are not on this group's staff",
        }
    }
}

/// A logged-in staff member: the account and its roles in groups.
#[derive(Debug, Clone)]
pub struct Staff {
    /// The account.
    pub account: Account,
    /// Its roles, by group.
    pub roles: Vec<StaffMember>,
}

impl Staff {
    /// The staff member with `roles`.
    pub fn new(account: Account, roles: Vec<StaffMember>) -> Self {
        Staff { account, roles }
    }

    /// Whether the account administers the instance.
    pub fn is_admin(&self) -> bool {
        self.account.is_admin
    }

    /// The account's role in `group`, if any.
    pub fn role_in(&self, group: &Group) -> Option<GroupRole> {
        self.roles
            .iter()
            .find(|r| r.group_id == group.id)
            .map(|r| r.role)
    }

    /// Whether the staff member may do `permission` (in `group`, for group permissions).
    pub fn can(&self, permission: Permission, group: Option<&Group>) -> bool {
        if self.is_admin() {
            return true;
        }
        match (permission.least_role(), group) {
            (Some(least), Some(group)) => self.role_in(group).is_some_and(|role| role >= least),
            _ => false,
        }
    }

    /// [`Staff::can`] as a result, with a message saying who may.
    pub fn require(&self, permission: Permission, group: Option<&Group>) -> Result<(), AuthError> {
        if self.can(permission, group) {
            Ok(())
        } else {
            Err(AuthError::Forbidden(permission.describe().into()))
        }
    }
}
