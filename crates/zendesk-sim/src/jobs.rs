//! Bulk jobs: the `create_many` request bodies and the job statuses they answer with.
//! Both kinds of record share them, so tickets and users report bulk work alike.

use serde_json::{json, Map, Value};

use crate::account::Account;
use crate::reply::{record_url, ApiError, ApiResult, Reply};
use crate::router::Call;

/// Most records one `create_many` call may carry.
const BULK_LIMIT: usize = 100;

/// The objects under `records` (`"tickets"`, `"users"`) of a `create_many` body; entries
/// that are not objects are skipped, more than 100 is 400 `TooManyRecords`.
pub(crate) fn bulk_inputs(call: &Call, records: &str) -> Result<Vec<Map<String, Value>>, ApiError> {
    let body = call.json_body()?;
    let inputs: Vec<Map<String, Value>> = body
        .get(records)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_object().cloned())
                .collect()
        })
        .unwrap_or_default();
    if inputs.len() > BULK_LIMIT {
        return Err(ApiError::BadRequest {
            error: "TooManyRecords",
            description: format!("Too many {records}, the limit is {BULK_LIMIT}"),
        });
    }
    Ok(inputs)
}

/// Stores a bulk job's results and answers its status as Zendesk first reports it: queued,
/// although the work is already done (later reads of the job show it completed).
pub(crate) fn queued(account: &mut Account, call: &Call, results: Vec<Value>) -> ApiResult {
    let total = results.len();
    let job = account.record_job(results, call.now);
    Ok(Reply::ok(json!({"job_status": {
        "id": job,
        "url": record_url(&call.origin, "job_statuses", &job),
        "total": total,
        "progress": null,
        "status": "queued",
        "message": null,
        "results": null,
    }})))
}

/// `GET /api/v2/job_statuses/{id}`.
pub(crate) fn job_status(account: &Account, call: &Call, id: &str) -> ApiResult {
    call.require_staff(account)?;
    let job = account.jobs.get(id).ok_or(ApiError::RecordNotFound)?;
    let total = job.results.len();
    Ok(Reply::ok(json!({"job_status": {
        "id": id,
        "url": record_url(&call.origin, "job_statuses", id),
        "total": total,
        "progress": total,
        "status": "completed",
        "message": format!("Completed at {}", job.completed_at.strftime("%Y-%m-%d %H:%M:%S +0000")),
        "results": job.results,
    }})))
}
