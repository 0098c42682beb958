//! What an instance shows of itself: its description, its console output, a screenshot.

use crate::aws::ec2::region_error;
use crate::aws::target::RoleTarget;
use crate::aws::{AwsError, ErrorKind};

/// The console output (ec2:GetConsoleOutput), decoded from base64; `None` when there is none.
pub async fn console_output(
    t: &RoleTarget,
    region: &str,
    instance: &str,
) -> Result<Option<Vec<u8>>, AwsError> {
    let out = t
        .ec2(region)
        .get_console_output()
        .instance_id(instance)
        .latest(true)
        .send()
        .await
        .map_err(|e| region_error(e, "GetConsoleOutput", region))?;
    match out.output() {
        None | Some("") => Ok(None),
        Some(b64) => decode(b64, "GetConsoleOutput", instance).map(Some),
    }
}

/// A screenshot of the console (ec2:GetConsoleScreenshot), a JPEG. `wake` sends a keystroke
/// to wake a sleeping instance, which is a change to it, so it is off unless asked for.
pub async fn console_screenshot(
    t: &RoleTarget,
    region: &str,
    instance: &str,
    wake: bool,
) -> Result<Vec<u8>, AwsError> {
    let out = t
        .ec2(region)
        .get_console_screenshot()
        .instance_id(instance)
        .wake_up(wake)
        .send()
        .await
        .map_err(|e| region_error(e, "GetConsoleScreenshot", region))?;
    let data = out.image_data().ok_or_else(|| {
        AwsError::new(
            ErrorKind::Other,
            "GetConsoleScreenshot",
            instance.to_string(),
        )
        .with_message("the answer held no image")
    })?;
    decode(data, "GetConsoleScreenshot", instance)
}

/// ec2:GetConsoleScreenshot with DryRun (and `WakeUp` as the run will send it): the
/// permission checked before anything is written. Nothing changes, nothing is woken.
pub async fn check_screenshot(
    t: &RoleTarget,
    region: &str,
    instance: &str,
    wake: bool,
) -> Result<(), AwsError> {
    let call = t
        .ec2(region)
        .get_console_screenshot()
        .instance_id(instance)
        .wake_up(wake)
        .dry_run(true)
        .send();
    super::send(true, "GetConsoleScreenshot", region, call, |_| ())
        .await
        .map(|_| ())
}

fn decode(b64: &str, op: &'static str, instance: &str) -> Result<Vec<u8>, AwsError> {
    let cleaned: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
    aws_smithy_types::base64::decode(cleaned).map_err(|e| {
        AwsError::new(ErrorKind::Other, op, instance.to_string())
            .with_message(format!("the answer is not base64: {e}"))
    })
}
