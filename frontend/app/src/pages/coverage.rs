//! The coverage of a unit's subtree on its page: per tier, how many units have a sitting
//! council (理事会) and a workroom, as counts and shares; then the units still lacking one,
//! linked, so an administrator can go and set them up.
use leptos::prelude::*;
use minqing_domain::UnitId;

use crate::components::{ErrorNotice, Loading};
use crate::i18n::{Text, tr};
use crate::model::{Coverage, localized};
use crate::state::{use_api, use_portal};

/// How many uncovered units the page lists (the API gives up to 500 and the total).
const LISTED: usize = 20;

#[component]
pub fn CoverageSection(unit: UnitId) -> impl IntoView {
    let api = use_api();
    let coverage = LocalResource::new(move || async move {
        api.get::<Coverage>(&format!("/councils/coverage?within={}", unit.0))
            .await
    });
    view! {
        <section class="coverage" data-testid="coverage">
            <h3>{tr(Text::Coverage)}</h3>
            {move || match coverage.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                Some(Ok(c)) => view! { <CoverageTable coverage=c/> }.into_any(),
            }}
        </section>
    }
}

/// `part` of `whole` as a whole percentage (0 of 0 is 0%).
fn share(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "0%".to_owned();
    }
    format!("{}%", part * 100 / whole)
}

#[component]
fn CoverageTable(coverage: Coverage) -> AnyView {
    let lang = use_portal().lang;
    let more = coverage
        .uncovered_total
        .saturating_sub(LISTED.min(coverage.uncovered.len()) as u64);
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="coverage-tiers">
                <thead>
                    <tr>
                        <th>{tr(Text::Tier)}</th>
                        <th class="num">{tr(Text::Units)}</th>
                        <th class="num">{tr(Text::WithCouncil)}</th>
                        <th class="num">{tr(Text::WithWorkroom)}</th>
                    </tr>
                </thead>
                <tbody>
                    {coverage
                        .tiers
                        .into_iter()
                        .map(|t| {
                            let (zh, en) = (t.label_zh.clone(), t.label_en.clone());
                            view! {
                                <tr>
                                    <td>{move || localized(lang.get(), &zh, &en).to_owned()}</td>
                                    <td class="num">{t.units}</td>
                                    <td class="num">{format!("{} ({})", t.with_council, share(t.with_council, t.units))}</td>
                                    <td class="num">{format!("{} ({})", t.with_workroom, share(t.with_workroom, t.units))}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        {(coverage.uncovered_total > 0).then(|| view! {
            <h4>{tr(Text::Uncovered)} " (" <span data-testid="uncovered-total">{coverage.uncovered_total}</span> ")"</h4>
            <ul class="uncovered" data-testid="uncovered">
                {coverage
                    .uncovered
                    .into_iter()
                    .take(LISTED)
                    .map(|u| {
                        let lacks = match (u.has_council, u.has_workroom) {
                            (false, false) => Text::LacksBoth,
                            (false, true) => Text::LacksCouncil,
                            _ => Text::LacksWorkroom,
                        };
                        view! {
                            <li>
                                <a href=format!("/units/{}", u.id.0)>{u.name}</a>
                                " " <span class="hint">{tr(lacks)}</span>
                            </li>
                        }
                    })
                    .collect_view()}
                {(more > 0).then(|| view! { <li class="muted">{tr(Text::AndMore)} " " {more}</li> })}
            </ul>
        })}
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    #[test]
    fn shares_are_whole_percentages_and_nothing_of_nothing_is_zero() {
        assert_eq!(super::share(1_157, 1_157), "100%");
        assert_eq!(super::share(1, 3), "33%");
        assert_eq!(super::share(0, 0), "0%");
    }
}
