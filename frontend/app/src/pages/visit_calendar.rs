//! `/visits`: 家访日程 — the visit calendar of a subtree, a month at a time, day by day: when,
//! where, which community, who hosts and how far each visit got. The reader's own unit by
//! default (their first grant's, or the tenant's root), another by search; "only mine" keeps
//! the visits they host.
use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use leptos::prelude::*;
use leptos_router::components::A;
use minqing_domain::UnitId;

use crate::components::{ErrorNotice, Loading, UnitPicker};
use crate::i18n::{Text, tr};
use crate::model::{ContactPoint, Page, Unit, Visit};
use crate::pages::visits::{PeriodCells, status_text};
use crate::state::{use_api, use_portal};
use crate::time::{format_time, today};

/// The first day of the month `offset` months from the one holding `day`.
pub fn month_start(day: NaiveDate, offset: i32) -> NaiveDate {
    let months = day.year() * 12 + day.month0() as i32 + offset;
    NaiveDate::from_ymd_opt(months.div_euclid(12), months.rem_euclid(12) as u32 + 1, 1)
        .unwrap_or(day)
}

/// `visits` (as the API gives them, by start) grouped by their day as `shown` writes it
/// (`YYYY-MM-DD …` in the tenant's zone), keeping only the days of the month starting `first`.
pub fn by_day<T>(
    visits: Vec<T>,
    first: NaiveDate,
    shown: impl Fn(&T) -> String,
) -> Vec<(String, Vec<T>)> {
    let month = first.format("%Y-%m-").to_string();
    let mut days: Vec<(String, Vec<T>)> = Vec::new();
    for v in visits {
        let day: String = shown(&v).chars().take(10).collect();
        if !day.starts_with(&month) {
            continue;
        }
        match days.last_mut() {
            Some((d, list)) if *d == day => list.push(v),
            _ => days.push((day, vec![v])),
        }
    }
    days
}

/// One leader's pairings in a subtree, summed over this year to date.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaderKept {
    pub leader: String,
    pub pairings: usize,
    pub done: u32,
    pub due: u32,
    pub missed: u32,
}

/// The contact points summed per leader, the most missed first (then by name).
pub fn per_leader(points: &[ContactPoint]) -> Vec<LeaderKept> {
    let mut kept: Vec<(uuid::Uuid, LeaderKept)> = Vec::new();
    for p in points {
        let at = match kept.iter().position(|(id, _)| *id == p.leader.id) {
            Some(at) => at,
            None => {
                kept.push((
                    p.leader.id,
                    LeaderKept {
                        leader: p.leader.name.clone(),
                        pairings: 0,
                        done: 0,
                        due: 0,
                        missed: 0,
                    },
                ));
                kept.len() - 1
            }
        };
        let k = &mut kept[at].1;
        k.pairings += 1;
        k.done += p.done;
        k.due += p.due;
        k.missed += p.missed;
    }
    let mut kept: Vec<LeaderKept> = kept.into_iter().map(|(_, k)| k).collect();
    kept.sort_by(|a, b| {
        b.missed
            .cmp(&a.missed)
            .then_with(|| a.leader.cmp(&b.leader))
    });
    kept
}

#[component]
pub fn VisitCalendarPage() -> AnyView {
    let api = use_api();
    let portal = use_portal();
    let unit = RwSignal::new(None::<(UnitId, String)>);
    // The reader's own unit to start with.
    Effect::new(move |_| {
        if unit.with_untracked(Option::is_some) {
            return;
        }
        let granted = portal.session.with(|s| {
            s.me().and_then(|me| {
                me.grants
                    .iter()
                    .find_map(|g| Some((g.unit_id?, g.unit_name.clone().unwrap_or_default())))
            })
        });
        match granted {
            Some(u) => unit.set(Some(u)),
            None => leptos::task::spawn_local(async move {
                if let Ok(roots) = api.get::<Page<Unit>>("/units/roots").await
                    && let Some(root) = roots.items.into_iter().next()
                {
                    unit.set(Some((root.id, root.name)));
                }
            }),
        }
    });
    let month = RwSignal::new(month_start(today(), 0));
    let mine = RwSignal::new(false);
    let visits = LocalResource::new(move || {
        let (unit, first, mine) = (unit.get(), month.get(), mine.get());
        let me = portal.session.with(|s| s.me().map(|me| me.account.id.0));
        async move {
            let Some((unit, _)) = unit else {
                return Ok(Vec::new());
            };
            // A day either side, so every visit of the month in the tenant's zone is asked for.
            let edge = |day: NaiveDate| {
                Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
                    .to_rfc3339()
            };
            let from = edge(first - Duration::days(1));
            let to = edge(month_start(first, 1) + Duration::days(1));
            let mut path = format!(
                "/visits?within={}&from={}&to={}",
                unit.0,
                crate::api::encode(&from),
                crate::api::encode(&to)
            );
            if let (true, Some(me)) = (mine, me) {
                path.push_str(&format!("&host={me}"));
            }
            api.get_all::<Visit>(&path).await
        }
    });
    let points = LocalResource::new(move || {
        let (unit, mine) = (unit.get(), mine.get());
        let me = portal.session.with(|s| s.me().map(|me| me.account.id.0));
        async move {
            let Some((unit, _)) = unit else {
                return Ok(Vec::new());
            };
            let mut path = format!("/contact-points?within={}", unit.0);
            if let (true, Some(me)) = (mine, me) {
                path.push_str(&format!("&leader={me}"));
            }
            api.get::<Page<ContactPoint>>(&path).await.map(|p| p.items)
        }
    });
    let step = move |by: i32| month.update(|m| *m = month_start(*m, by));

    view! {
        <section class="page visit-calendar" data-testid="visit-calendar">
            <h1>{tr(Text::VisitCalendar)}</h1>
            <div class="filters">
                <UnitPicker selected=unit testid="calendar-unit"/>
                <label class="check">
                    <input type="checkbox" name="mine" prop:checked=move || mine.get() on:change=move |ev| mine.set(event_target_checked(&ev))/>
                    {tr(Text::OnlyMine)}
                </label>
            </div>
            {move || match points.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                Some(Ok(p)) => view! { <Kept kept=per_leader(&p)/> }.into_any(),
            }}
            <div class="month-nav">
                <button type="button" data-testid="month-prev" on:click=move |_| step(-1)>"‹ " {tr(Text::PreviousMonth)}</button>
                <strong data-testid="month">{move || month.get().format("%Y-%m").to_string()}</strong>
                <button type="button" data-testid="month-next" on:click=move |_| step(1)>{tr(Text::NextMonth)} " ›"</button>
            </div>
            {move || match visits.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                Some(Ok(list)) => {
                    let zone = portal.zone();
                    let days = by_day(list, month.get_untracked(), |v| format_time(v.starts_at, &zone));
                    if days.is_empty() {
                        return view! { <p class="muted" data-testid="no-visits-this-month">{tr(Text::NoVisitsThisMonth)}</p> }.into_any();
                    }
                    days.into_iter()
                        .map(|(day, visits)| {
                            let zone = zone.clone();
                            let data_day = day.clone();
                            view! {
                                <section class="calendar-day" data-day=data_day>
                                    <h2>{day}</h2>
                                    <ul class="list">
                                        {visits
                                            .into_iter()
                                            .map(|v| {
                                                let time = |t| format_time(t, &zone).chars().skip(11).collect::<String>();
                                                let hosts = v.hosts.iter().map(|h| h.name.as_str()).collect::<Vec<_>>().join("、");
                                                view! {
                                                    <li data-visit=v.id.to_string()>
                                                        <span class="time">{time(v.starts_at)} "–" {time(v.ends_at)}</span> " "
                                                        <A href=format!("/units/{}", v.unit.id)>{v.unit.name.clone()}</A> " · "
                                                        {v.place.clone()}
                                                        {v.topic.clone().map(|t| view! { " · " {t} })}
                                                        <span class="muted"> " · " {hosts}</span> " "
                                                        <span class="status" data-testid="visit-status">{tr(status_text(v.status))}</span>
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ul>
                                </section>
                            }
                        })
                        .collect_view()
                        .into_any()
                }
            }}
        </section>
    }
    .into_any()
}

/// Each leader's contact points in the subtree this year: done, due, missed.
#[component]
fn Kept(kept: Vec<LeaderKept>) -> AnyView {
    if kept.is_empty() {
        return ().into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="leaders-kept">
                <caption>{tr(Text::LeadersKept)}</caption>
                <thead>
                    <tr>
                        <th>{tr(Text::Leader)}</th>
                        <th class="num">{tr(Text::ContactPoints)}</th>
                        <th class="num">{tr(Text::PeriodsDone)}</th>
                        <th class="num">{tr(Text::PeriodsDue)}</th>
                        <th class="num">{tr(Text::PeriodsMissed)}</th>
                    </tr>
                </thead>
                <tbody>
                    {kept
                        .into_iter()
                        .map(|k| {
                            let name = k.leader.clone();
                            view! {
                            <tr data-leader=name>
                                <td>{k.leader}</td>
                                <td class="num">{k.pairings}</td>
                                <PeriodCells done=k.done due=k.due missed=k.missed/>
                            </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn point(leader: u128, name: &str, done: u32, due: u32, missed: u32) -> ContactPoint {
        serde_json::from_value(serde_json::json!({
            "id": uuid::Uuid::from_u128(leader * 100 + u128::from(done)),
            "leader": {"id": uuid::Uuid::from_u128(leader), "name": name},
            "unit": {"id": uuid::Uuid::from_u128(7), "name": "东一社区"},
            "since": "2026-01-01",
            "until": null,
            "done": done, "due": due, "missed": missed,
        }))
        .unwrap()
    }

    #[test]
    fn a_leaders_pairings_are_summed_and_the_most_missed_come_first() {
        let points = [
            point(1, "李", 10, 1, 0),
            point(2, "王", 8, 1, 2),
            point(1, "李", 7, 1, 3),
            point(3, "张", 11, 1, 0),
        ];
        let kept = per_leader(&points);
        let rows: Vec<(&str, usize, u32, u32, u32)> = kept
            .iter()
            .map(|k| (k.leader.as_str(), k.pairings, k.done, k.due, k.missed))
            .collect();
        assert_eq!(
            rows,
            [("李", 2, 17, 2, 3), ("王", 1, 8, 1, 2), ("张", 1, 11, 1, 0)]
        );
    }

    #[test]
    fn months_step_across_years() {
        assert_eq!(month_start(day("2026-12-15"), 0), day("2026-12-01"));
        assert_eq!(month_start(day("2026-12-15"), 1), day("2027-01-01"));
        assert_eq!(month_start(day("2026-01-31"), -1), day("2025-12-01"));
        assert_eq!(month_start(day("2026-03-01"), -14), day("2025-01-01"));
    }

    #[test]
    fn visits_are_grouped_by_their_day_and_only_the_months_are_kept() {
        let shown = [
            "2026-11-30 23:30",
            "2026-12-01 09:00",
            "2026-12-01 14:00",
            "2026-12-10 09:00",
            "2027-01-01 00:10",
        ];
        let days = by_day(shown.to_vec(), day("2026-12-01"), |s| (*s).to_owned());
        let summary: Vec<(String, usize)> = days.into_iter().map(|(d, v)| (d, v.len())).collect();
        assert_eq!(
            summary,
            [("2026-12-01".to_owned(), 2), ("2026-12-10".to_owned(), 1)]
        );
    }
}
