//! iCalendar (RFC 5545) feeds of published visits: one calendar per community or leader,
//! one event per visit, cancelled ones kept as `STATUS:CANCELLED` so subscribed calendars
//! drop them instead of keeping a stale time.
use chrono::{DateTime, Utc};
use minqing_domain::visits::VisitStatus;
use minqing_storage::visits::PublicVisit;

/// `visits` as a calendar named `name`.
pub fn calendar(name: &str, visits: &[PublicVisit]) -> String {
    let mut out = String::new();
    let mut line = |text: String| fold_into(&mut out, &text);
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//Minqing//Minqing visits//ZH".into());
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    line(format!("X-WR-CALNAME:{}", escape(name)));
    line("X-WR-TIMEZONE:Asia/Shanghai".into());
    for v in visits {
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}@minqing", v.id));
        line(format!("DTSTAMP:{}", stamp(v.updated_at)));
        line(format!("DTSTART:{}", stamp(v.starts_at)));
        line(format!("DTEND:{}", stamp(v.ends_at)));
        let topic = v.topic.as_deref().unwrap_or("民情家访");
        line(format!(
            "SUMMARY:{}",
            escape(&format!("{}：{topic}", v.unit))
        ));
        line(format!("LOCATION:{}", escape(&v.place)));
        let mut about = format!("主持：{}", v.hosts.join("、"));
        if let (Some(from), Some(reason)) = (v.moved_from, &v.move_reason) {
            let from = from.with_timezone(&chrono_tz::Asia::Shanghai);
            about.push_str(&format!(
                "\n原定 {}，改期原因：{reason}",
                from.format("%Y-%m-%d %H:%M")
            ));
        }
        if let Some(reason) = &v.cancel_reason {
            about.push_str(&format!("\n已取消：{reason}"));
        }
        line(format!("DESCRIPTION:{}", escape(&about)));
        let status = match v.status {
            VisitStatus::Cancelled => "CANCELLED",
            _ => "CONFIRMED",
        };
        line(format!("STATUS:{status}"));
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A TEXT value with its backslashes, semicolons, commas and newlines escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` folded at 75 octets (never inside a character), each part ending CRLF.
fn fold_into(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit(status: VisitStatus) -> PublicVisit {
        let at = "2026-12-10T11:00:00Z".parse().expect("time");
        PublicVisit {
            id: uuid::Uuid::nil(),
            unit: "洪城路社区".into(),
            hosts: vec!["王书记".into(), "李区长".into()],
            status,
            starts_at: at,
            ends_at: at + chrono::Duration::hours(2),
            place: "居委会二楼会议室, 东侧".into(),
            topic: Some("加装电梯意见征集; 请带上户口本".into()),
            notice_published_at: at,
            moved_from: None,
            move_reason: None,
            cancel_reason: None,
            updated_at: at,
        }
    }

    #[test]
    fn a_feed_is_crlf_lines_of_at_most_75_octets_with_text_escaped() {
        let mut cancelled = visit(VisitStatus::Cancelled);
        cancelled.cancel_reason = Some("暴雨红色预警".into());
        let feed = calendar(
            "洪城路社区 民情家访",
            &[visit(VisitStatus::Published), cancelled],
        );
        assert!(feed.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(feed.ends_with("END:VCALENDAR\r\n"));
        assert!(feed.split("\r\n").all(|l| l.len() <= 75), "{feed}");
        assert!(!feed.replace("\r\n", "").contains('\n'));
        // Unfolded (RFC 5545 §3.1), the values read back as written.
        let unfolded = feed.replace("\r\n ", "");
        assert!(unfolded.contains("DTSTART:20261210T110000Z\r\n"));
        assert!(unfolded.contains("LOCATION:居委会二楼会议室\\, 东侧\r\n"));
        assert!(unfolded.contains("SUMMARY:洪城路社区：加装电梯意见征集\\; 请带上户口本\r\n"));
        assert!(unfolded.contains("DESCRIPTION:主持：王书记、李区长\\n已取消：暴雨红色预警\r\n"));
        assert_eq!(unfolded.matches("BEGIN:VEVENT").count(), 2);
        assert!(unfolded.contains("STATUS:CANCELLED"));
        assert!(unfolded.contains("STATUS:CONFIRMED"));
    }
}
