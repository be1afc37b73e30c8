//! Everything moderators look at before deciding a case: its reports, the reported post, the
//! person's other posts in the group, the notes staff wrote, and who is handling it.

use hearth_storage::{Group, Note, Post, Report, ReportCase, Store, StoreError};

/// How many of the person's latest posts a case file shows.
const HISTORY: i64 = 20;

/// A case and what it is about.
pub struct CaseFile {
    /// The case.
    pub case: ReportCase,
    /// Its reports, oldest first (withdrawn ones included).
    pub reports: Vec<Report>,
    /// The reported post, when the case is about one held here.
    pub post: Option<Post>,
    /// The reported person's actor id: the post's author, else whom the reports name.
    pub person: Option<String>,
    /// The person's latest posts in the group, newest first, the reported post left out.
    pub history: Vec<Post>,
    /// Staff notes on the case, oldest first.
    pub notes: Vec<Note>,
    /// The username of the account handling the case.
    pub assignee: Option<String>,
}

impl CaseFile {
    /// The file of case `case_id` of `group`, if there is such a case.
    pub async fn load(
        store: &Store,
        group: &Group,
        case_id: i64,
    ) -> Result<Option<CaseFile>, StoreError> {
        let Some(case) = store.report_case(group.id, case_id).await? else {
            return Ok(None);
        };
        let reports = store.case_reports(case.id).await?;
        let post = match case.post_id {
            Some(id) => store.post_by_id(id).await?,
            None => None,
        };
        let person = post
            .as_ref()
            .map(|p| p.author_ap_id.clone())
            .or_else(|| reports.iter().find_map(|r| r.reported_ap_id.clone()));
        let author_id = match (&post, &person) {
            (Some(post), _) => Some(post.author_id),
            (None, Some(person)) => store.actor_by_ap_id(person).await?.map(|a| a.id),
            (None, None) => None,
        };
        let history = match author_id {
            Some(author) => store
                .posts_by_author(group.id, author, HISTORY + 1)
                .await?
                .into_iter()
                .filter(|p| Some(p.id) != case.post_id)
                .take(HISTORY as usize)
                .collect(),
            None => Vec::new(),
        };
        let notes = store.case_notes(case.id).await?;
        let assignee = match case.assignee_id {
            Some(id) => store.account_by_id(id).await?.map(|a| a.username),
            None => None,
        };
        Ok(Some(CaseFile {
            case,
            reports,
            post,
            person,
            history,
            notes,
            assignee,
        }))
    }
}
