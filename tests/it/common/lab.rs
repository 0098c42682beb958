//! The lab: the emulator's account 777777777777, where the responder actions change things,
//! reached by the second primary user `lab-responder` (so no other test sees it). Each test
//! works in a case of its own, and finds what it made by the case tag.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::{run, Emulator, Run};

pub struct Lab<'e> {
    pub emu: &'e Emulator,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub case: String,
}

impl<'e> Lab<'e> {
    /// A lab config (roles lab-ir, lab-audit; cases in a folder of the test's own; `extra` in
    /// `[case]`), and case `case` open in it.
    pub fn open(emu: &'e Emulator, case: &str, extra_case: &str) -> Lab<'e> {
        let dir = tempfile::tempdir().unwrap();
        let lab = &emu.world["lab"];
        let config = dir.path().join("lab.toml");
        std::fs::write(
            &config,
            format!(
                "[defaults]\nregions = [\"us-east-1\"]\nsession_name = \"rolecall-lab\"\n\n\
                 [[account]]\nid = \"777777777777\"\nname = \"lab\"\n\n\
                 [[role]]\narn = \"{}\"\nname = \"lab-ir\"\n\n\
                 [[role]]\narn = \"{}\"\nname = \"lab-audit\"\n\n\
                 [case]\ndir = \"{}\"\n{extra_case}\n",
                lab["roles"]["lab-ir"].as_str().unwrap(),
                lab["roles"]["lab-audit"].as_str().unwrap(),
                dir.path().join("cases").display(),
            ),
        )
        .unwrap();
        let l = Lab {
            emu,
            dir,
            config,
            case: case.to_string(),
        };
        if !case.is_empty() {
            l.rolecall(&["case", "open", case]).ok();
        }
        l
    }

    pub fn world(&self, key: &str) -> String {
        self.emu.world["lab"][key].as_str().unwrap().to_string()
    }

    /// The lab user's environment for rolecall (or any AWS tool).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", self.world("access_key_id")),
            ("AWS_SECRET_ACCESS_KEY", self.world("secret_access_key")),
            ("ROLECALL_CONFIG", self.config.display().to_string()),
        ]
    }

    pub fn rolecall(&self, args: &[&str]) -> Run {
        let mut cmd = self.emu.rolecall();
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
        run(cmd.args(args))
    }

    pub fn case_dir(&self) -> PathBuf {
        self.dir.path().join("cases").join(&self.case)
    }

    pub fn entries(&self) -> Vec<Value> {
        std::fs::read_to_string(self.case_dir().join("log.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Runs Python with boto3 as IncidentResponder in the lab (`ec2`, `kms`, `iam`, `account`,
    /// `forensics` are set); the script prints JSON.
    pub fn aws(&self, script: &str) -> Value {
        let python =
            std::env::var("ROLECALL_TEST_PYTHON").unwrap_or_else(|_| "python3".to_string());
        let prelude = format!(
            "import json, boto3\n\
             sts = boto3.client('sts', region_name='us-east-1', endpoint_url={endpoint:?}, aws_access_key_id={key:?}, aws_secret_access_key={secret:?})\n\
             c = sts.assume_role(RoleArn={role:?}, RoleSessionName='test')['Credentials']\n\
             kw = dict(region_name='us-east-1', endpoint_url={endpoint:?}, aws_access_key_id=c['AccessKeyId'], aws_secret_access_key=c['SecretAccessKey'], aws_session_token=c['SessionToken'])\n\
             ec2 = boto3.client('ec2', **kw)\n\
             kms = boto3.client('kms', **kw)\n\
             iam = boto3.client('iam', **kw)\n\
             account = '777777777777'\n\
             forensics = '999999999999'\n",
            endpoint = self.emu.endpoint,
            key = self.world("access_key_id"),
            secret = self.world("secret_access_key"),
            role = self.emu.world["lab"]["roles"]["lab-ir"].as_str().unwrap(),
        );
        let out = Command::new(python)
            .arg("-c")
            .arg(format!("{prelude}\n{script}"))
            .env_remove("AWS_PROFILE")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
    }

    /// The snapshots in the lab tagged with this test's case.
    pub fn snapshots(&self) -> Vec<Value> {
        let v = self.aws(&format!(
            "r = ec2.describe_snapshots(Filters=[{{'Name': 'owner-id', 'Values': [account]}}, {{'Name': 'tag:rolecall:case', 'Values': [{:?}]}}])['Snapshots']\n\
             print(json.dumps(r, default=str))",
            self.case
        ));
        v.as_array().unwrap().clone()
    }
}

/// A file's SHA-256, in hex.
pub fn sha256(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}
