//! `t`: who did what to the selected row's resource — its CloudTrail events, in the row's
//! account (the every-account view: through the row's role) and region. A kind listed once per
//! account (IAM) has its events in the partition's home region (us-east-1); an access key's or
//! a user's own calls are looked up in every region of the role, and there.

use super::super::effect::Effect;
use super::super::state::State;
use super::listing;
use crate::aws::arn::RoleArn;
use crate::resources::{Kind, Reach, Subject};

/// Opens the events of the selected row's resource (its id is the name looked up), listed
/// anew.
pub fn open(state: &mut State) -> Vec<Effect> {
    let view = state.view;
    let Some(kind) = view.kind() else {
        return vec![];
    };
    if kind == Kind::Events {
        return vec![];
    }
    let Some(row) = state.table(view).and_then(|t| t.selected_item()).cloned() else {
        state.set_error("no row selected: pick one, then t shows its events");
        return vec![];
    };
    let role: Option<RoleArn> = if view.is_all() {
        row.role_arn().and_then(|r| r.parse().ok())
    } else {
        state.table(view).and_then(|t| t.role().cloned())
    };
    let Some(role) = role else {
        state.set_error("this row's role is not known: open its role from the tree first");
        return vec![];
    };
    if state.role(&role).is_none() {
        state.set_error(format!("{role} is not among the known roles"));
        return vec![];
    }
    // The row's id is what the events name, checked as any name looked up is. An access key
    // or a user is looked up by what it did (its calls, in every region of the role and the
    // home region, where IAM's are); any other row by the resource its events name.
    let identity = matches!(kind, Kind::AccessKeys | Kind::Users);
    let subject = match kind {
        Kind::AccessKeys => Subject::access_key(row.id()),
        Kind::Users => Subject::user(row.id()),
        _ => Subject::resource(row.id()),
    };
    let subject = match subject {
        Ok(s) => s,
        Err(e) => {
            state.set_error(format!("t: {e}"));
            return vec![];
        }
    };
    let home = role.partition().home_region().to_string();
    let regions = if identity {
        let mut r = state.regions_for(&role);
        if !r.contains(&home) {
            r.push(home);
        }
        r
    } else {
        match kind.about().reach {
            Reach::Regional => vec![row.region().to_string()],
            Reach::Global => vec![home],
        }
    };
    let height = state.page();
    let events = state.tables.get_mut(Kind::Events);
    events.retarget(&role, height);
    events.subject = Some(subject);
    events.pinned = Some(regions);
    // Rows of another lookup must not stay under this one's title.
    events.set_items(Vec::new());
    events.refresh(height);
    listing::open_role(state, role, Kind::Events)
}
