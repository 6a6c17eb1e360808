//! Personal data (身份证号, phone numbers, addresses) is masked in every answer unless the caller
//! may see it and asks for it explicitly with a reason (an audited unmasking).

use serde_json::Value;

/// Keys whose values are personal data wherever they appear (ledger or event data).
pub const PERSONAL_KEYS: &[&str] = &["id_number", "phone", "mobile", "telephone", "address"];

/// 身份证号: the first four (region) and last four characters stay, e.g. `3101**********1234`.
pub fn mask_id_number(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars.iter().take(4).collect();
    let tail: String = chars.iter().skip(chars.len() - 4).collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

/// Phone numbers: the first three and last four digits stay, e.g. `138****5678`.
pub fn mask_phone(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars.iter().take(3).collect();
    let tail: String = chars.iter().skip(chars.len() - 4).collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// Addresses: the first six characters (province, city) stay.
pub fn mask_address(s: &str) -> String {
    let head: String = s.chars().take(6).collect();
    format!("{head}****")
}

/// Masks every personal-data value in a JSON document, at any depth. Returns how many values
/// were masked.
pub fn mask_json(v: &mut Value) -> usize {
    match v {
        Value::Object(map) => {
            let mut n = 0;
            for (k, x) in map.iter_mut() {
                if let (true, Value::String(s)) = (PERSONAL_KEYS.contains(&k.as_str()), &*x) {
                    let masked = match k.as_str() {
                        "id_number" => mask_id_number(s),
                        "address" => mask_address(s),
                        _ => mask_phone(s),
                    };
                    *x = Value::String(masked);
                    n += 1;
                } else {
                    n += mask_json(x);
                }
            }
            n
        }
        Value::Array(items) => items.iter_mut().map(mask_json).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn masks_keep_only_what_identifies_nobody() {
        assert_eq!(mask_id_number("310101199001011234"), "3101**********1234");
        assert_eq!(mask_id_number("1234"), "****");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(
            mask_address("上海市浦东新区世纪大道100号"),
            "上海市浦东新****"
        );
        let mut doc = json!({"persons": {"P1": {"name": "王某", "id_number": "310101199001011234"}},
                             "timeline": [{"data": {"phone": "13812345678", "role": "suspect"}}]});
        assert_eq!(mask_json(&mut doc), 2);
        assert_eq!(doc["persons"]["P1"]["id_number"], "3101**********1234");
        assert_eq!(doc["timeline"][0]["data"]["phone"], "138****5678");
        assert_eq!(doc["timeline"][0]["data"]["role"], "suspect");
    }
}
