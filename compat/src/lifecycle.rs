//! The deprecation policy: removing something deprecated is a warning once
//! its announced sunset date has passed, and otherwise stays breaking; with
//! a grace period (`--deprecation-days N`), deprecating something needs a
//! sunset date at least N days ahead.

use serde_json::{Map, Value};

use crate::resolve::{object, object_at, Doc};
use crate::rules::Rule;

/// What the comparison takes as given beyond the two documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Today, in days since 1970-01-01 (UTC): sunset dates are judged
    /// against it.
    pub today: i64,
    /// The least number of days between deprecating something and its
    /// sunset date; `None`: no grace period is enforced.
    pub deprecation_days: Option<u32>,
}

impl Policy {
    /// Today's date from the system clock, and no grace period.
    pub fn now() -> Self {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Policy {
            today: (seconds / 86_400) as i64,
            deprecation_days: None,
        }
    }

    /// The given day (`2026-12-31`) as today, and no grace period.
    pub fn on(date: &str) -> Option<Self> {
        Some(Policy {
            today: parse_date(date)?,
            deprecation_days: None,
        })
    }

    /// No sunset has ever passed: every removal stays what it is. For
    /// trial comparisons, which must not be lenient.
    pub(crate) fn strict() -> Self {
        Policy {
            today: i64::MIN,
            deprecation_days: None,
        }
    }

    /// The rule for removing `item` (an operation, parameter or property,
    /// which was `rule` to remove), and what to add to the message.
    pub(crate) fn removal(
        &self,
        doc: &Doc,
        item: &Map<String, Value>,
        rule: Rule,
    ) -> (Rule, String) {
        if !deprecated(item) {
            return (rule, String::new());
        }
        match sunset(doc, item) {
            Some(day) if day <= self.today => (
                Rule::SunsetRemoval,
                format!(" (deprecated, sunset {} has passed)", show(day)),
            ),
            Some(day) => (
                rule,
                format!(" (deprecated, but its sunset {} has not passed)", show(day)),
            ),
            None => (rule, " (deprecated without a sunset date)".to_owned()),
        }
    }

    /// For something that became deprecated, or whose sunset moved: the
    /// complaint when a grace period is enforced and its sunset is not far
    /// enough ahead.
    pub(crate) fn too_soon(&self, doc: &Doc, item: &Map<String, Value>) -> Option<String> {
        let days = i64::from(self.deprecation_days?);
        if !deprecated(item) {
            return None;
        }
        match sunset(doc, item) {
            None => Some(format!(
                "deprecated without a sunset date (at least {days} days ahead is required)"
            )),
            Some(day) if day < self.today + days => Some(format!(
                "sunset {} is less than {days} days ahead",
                show(day)
            )),
            Some(_) => None,
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy::now()
    }
}

pub(crate) fn deprecated(item: &Map<String, Value>) -> bool {
    item.get("deprecated") == Some(&Value::Bool(true))
}

/// The announced sunset of an item: its `x-sunset`, or for an operation the
/// value a documented `Sunset` response header carries (RFC 8594: its
/// `example`, `default`, or single `enum` value).
fn sunset(doc: &Doc, item: &Map<String, Value>) -> Option<i64> {
    if let Some(day) = item
        .get("x-sunset")
        .and_then(Value::as_str)
        .and_then(parse_date)
    {
        return Some(day);
    }
    object_at(item, "responses")
        .values()
        .flat_map(|response| object_at(object(doc.resolve(response).value), "headers").iter())
        .filter(|(name, _)| name.eq_ignore_ascii_case("sunset"))
        .find_map(|(_, header)| {
            let header = object(doc.resolve(header).value);
            let schema = object(doc.resolve(header.get("schema")?).value);
            let enumerated = schema.get("enum").and_then(|e| e.get(0));
            [
                header.get("example"),
                schema.get("example"),
                schema.get("default"),
                enumerated,
            ]
            .into_iter()
            .flatten()
            .find_map(|v| v.as_str().and_then(parse_date))
        })
}

/// A date, `2026-12-31` or an RFC 3339 date-time (its date), or an HTTP
/// date (`Thu, 31 Dec 2026 23:59:59 GMT`), as days since 1970-01-01.
pub(crate) fn parse_date(text: &str) -> Option<i64> {
    let text = text.trim();
    let iso = text.get(..10).and_then(|d| {
        let mut parts = d.split('-');
        let year = parts.next()?.parse().ok()?;
        let month = parts.next()?.parse().ok()?;
        let day = parts.next()?.parse().ok()?;
        Some((year, month, day))
    });
    let (year, month, day) = iso.or_else(|| {
        // `Thu, 31 Dec 2026 ...`
        let mut words = text.split_whitespace().skip(1);
        let day = words.next()?.parse().ok()?;
        let month = words.next()?;
        let year = words.next()?.parse().ok()?;
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let month = MONTHS.iter().position(|m| *m == month)? as u32 + 1;
        Some((year, month, day))
    })?;
    ((1..=12).contains(&month) && (1..=31).contains(&day))
        .then(|| days_from_civil(year, month, day))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// `2026-12-31` from days since 1970-01-01.
fn show(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_and_show() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2000-03-01T10:00:00Z"), Some(11_017));
        assert_eq!(parse_date("Wed, 01 Mar 2000 10:00:00 GMT"), Some(11_017));
        assert_eq!(parse_date("2000-13-01"), None);
        assert_eq!(parse_date("soon"), None);
        for day in [0, 11_017, 20_000, -1] {
            assert_eq!(parse_date(&show(day)), Some(day));
        }
    }
}
