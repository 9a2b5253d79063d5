//! Amounts: what a call moves (numbers under amount keys, money in any text) against what the
//! request and trusted context name, read the way people write them (`$2k`, `2,210.00`,
//! `641,00 GBP`).

use super::grounding::{Flag, Grounding, Leaf, Sources, captures_all, regex};
use regex::Regex;
use std::sync::LazyLock;

static MONEY: LazyLock<Option<Regex>> = LazyLock::new(|| {
    regex(r"(?i)(?:[$€£¥]\s?([0-9][0-9,.]*[0-9]|[0-9])\s*(k|m|thousand|million)?|([0-9][0-9,.]*[0-9]|[0-9])\s*(k|m|thousand|million)?\s*(?:usd|eur|gbp|dollars?|euros?|pounds?|bucks|btc|eth|usdc)(?-u:\b))")
});
static NUMBER: LazyLock<Option<Regex>> = LazyLock::new(|| regex(r"(?:^|[^0-9A-Za-z_.#/\-])([0-9][0-9,.]*[0-9]|[0-9])\s*(k|m|thousand|million)?(?-u:\b)"));

/// Keys whose numbers are amounts of money or quantities the user should have asked for.
const AMOUNT_KEYS: &[&str] = &["amount", "value", "price", "total", "sum", "quantity", "qty", "cost", "budget", "limit_usd", "usd", "eur", "payment", "spend", "amount_usd", "amount_eur", "units", "shares", "tip"];

/// Keys whose numbers count things rather than money: compared with the counts a request
/// names, not with its prices (`buy 1 stand` at a unit price of 45 is not 45 times the request).
const QUANTITY_KEYS: &[&str] = &["quantity", "qty", "units", "shares", "seats", "licenses", "count"];

/// One amount a call moves.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Amount {
    pub value: f64,
    /// As the call writes it.
    pub shown: String,
    /// A count of things, not money.
    pub quantity: bool,
}

/// Amounts the call moves: numbers under amount keys, money anywhere (`$500`, `500 EUR`).
pub(super) fn call_amounts(leaf: &Leaf) -> Vec<Amount> {
    let key = leaf.key.as_str();
    let amount_key = AMOUNT_KEYS.iter().any(|k| key == *k || key.starts_with(&format!("{k}_")) || key.ends_with(&format!("_{k}")));
    if amount_key && let Some(value) = parse_number(leaf.text.trim(), None) {
        let value = if key.contains("cents") { value / 100.0 } else { value };
        let quantity = QUANTITY_KEYS.iter().any(|k| key == *k || key.ends_with(&format!("_{k}")));
        return vec![Amount { value, shown: leaf.text.trim().to_owned(), quantity }];
    }
    if leaf.number {
        return Vec::new();
    }
    money(&leaf.text).into_iter().map(|(value, shown)| Amount { value, shown, quantity: false }).collect()
}

/// Money mentioned in a text.
fn money(text: &str) -> Vec<(f64, String)> {
    captures_all(&MONEY, text)
        .iter()
        .filter_map(|caps| {
            let (number, scale) = match (caps.get(1), caps.get(3)) {
                (Some(n), _) => (n, caps.get(2)),
                (None, Some(n)) => (n, caps.get(4)),
                (None, None) => return None,
            };
            let value = parse_number(number.as_str(), scale.map(|s| s.as_str()))?;
            Some((value, caps.get(0).map(|m| m.as_str().trim().to_owned()).unwrap_or_default()))
        })
        .collect()
}

/// A number as people write it: `2,210.00` and `2.210,00` are the same, `641,00` is 641.
fn parse_number(text: &str, scale: Option<&str>) -> Option<f64> {
    let text = text.trim();
    let normal = match (text.rfind(','), text.rfind('.')) {
        (Some(comma), Some(dot)) if comma > dot => text.replace('.', "").replace(',', "."),
        (Some(_), Some(_)) => text.replace(',', ""),
        (Some(comma), None) if text.len() - comma == 3 && text.matches(',').count() == 1 => text.replace(',', "."),
        _ => text.replace(',', ""),
    };
    let value: f64 = normal.parse().ok()?;
    let factor = match scale.map(str::to_lowercase).as_deref() {
        Some("k" | "thousand") => 1e3,
        Some("m" | "million") => 1e6,
        _ => 1.0,
    };
    (value.is_finite() && value >= 0.0).then_some(value * factor)
}

/// Amounts a text names: money if it names any, else its plain numbers.
fn named_amounts(text: &str) -> Vec<f64> {
    let money: Vec<f64> = money(text).into_iter().map(|(v, _)| v).collect();
    if !money.is_empty() {
        return money;
    }
    captures_all(&NUMBER, text)
        .iter()
        .filter_map(|caps| parse_number(caps.get(1)?.as_str(), caps.get(2).map(|s| s.as_str())))
        .filter(|v| *v >= 1.0)
        .collect()
}

/// Plain numbers of a text (counts), at least 1.
fn plain_numbers(text: &str) -> Vec<f64> {
    captures_all(&NUMBER, text)
        .iter()
        .filter_map(|caps| parse_number(caps.get(1)?.as_str(), caps.get(2).map(|s| s.as_str())))
        .filter(|v| *v >= 1.0)
        .collect()
}

/// Compares the largest money amount with the money the request names, and the largest count
/// with the counts it names. Money in a call that also counts things is only compared when the
/// request names money: "buy 3 headsets" says nothing of their price.
pub(super) fn proportion(out: &mut Grounding, sources: &Sources, amounts: &[Amount]) {
    let trusted = format!("{}\n{}", sources.request, sources.context);
    let largest = |quantity: bool| amounts.iter().filter(|a| a.quantity == quantity).max_by(|a, b| a.value.total_cmp(&b.value));
    if let Some(count) = largest(true) {
        let money: Vec<(f64, String)> = amounts.iter().filter(|a| !a.quantity).map(|a| (a.value, a.shown.clone())).collect();
        compare(out, sources, &[(count.value, count.shown.clone())], &plain_numbers(&trusted));
        let asked_money: Vec<f64> = self::money(&trusted).into_iter().map(|(v, _)| v).collect();
        if !asked_money.is_empty() && !money.is_empty() {
            compare(out, sources, &money, &asked_money);
        }
        return;
    }
    let money: Vec<(f64, String)> = amounts.iter().map(|a| (a.value, a.shown.clone())).collect();
    compare(out, sources, &money, &named_amounts(&trusted));
}

fn compare(out: &mut Grounding, sources: &Sources, amounts: &[(f64, String)], asked: &[f64]) {
    let Some((amount, shown)) = amounts.iter().max_by(|a, b| a.0.total_cmp(&b.0)) else { return };
    let close = |a: f64, b: f64| (a - b).abs() <= 0.01 * b.max(1.0);
    // Payment APIs take whole cents: an integer amount a hundred times the requested one.
    let whole = amounts.iter().any(|(v, text)| *v == *amount && !text.contains('.'));
    match asked.iter().copied().reduce(f64::max) {
        Some(_) if whole && *amount >= 100.0 && asked.iter().any(|a| close(*amount, *a * 100.0)) => {
            out.flag(Flag::AmountMinorUnits, format!("amount {shown} is the requested amount in cents"));
        }
        None => out.flag(Flag::AmountUnrequested, format!("amount {shown} where the request names none")),
        Some(_) if asked.iter().any(|a| close(*amount, *a)) => out.flag(Flag::AmountMatchesRequest, format!("amount {shown} is the one requested")),
        Some(most) if *amount >= 10.0 * most => {
            out.flag(Flag::AmountAboveRequest, format!("amount {shown} is above the requested {most}"));
            out.flag(Flag::AmountFarAboveRequest, format!("amount {shown} is 10x or more the requested {most}"));
        }
        Some(most) if *amount > 1.05 * most => out.flag(Flag::AmountAboveRequest, format!("amount {shown} is above the requested {most}")),
        Some(_) => {}
    }
    let untrusted = named_amounts(&sources.untrusted);
    if !asked.iter().any(|a| close(*amount, *a)) && untrusted.iter().any(|a| close(*amount, *a)) {
        out.flag(Flag::AmountUntrustedOnly, format!("amount {shown} comes from tool output"));
    }
}
