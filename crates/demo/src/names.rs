//! Pools of fictional names and places, and the makers of names and id-card numbers.
//!
//! Every name here is invented or a common word; persons in cases are written the way published
//! case documents anonymise them (`张某某`), and id-card numbers use the area prefix `99`, which no
//! real province has.

use rand::Rng;

use crate::clock::compact_date;

/// Common surnames, the most frequent first; picks favour the front of the list.
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏",
];

/// Characters of given names.
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "英", "华", "建", "国", "文", "斌", "辉", "鹏", "宇", "浩", "凯",
    "俊", "峰", "晨", "阳", "健", "波", "宁", "红", "玲", "志", "海", "林", "东", "亮", "雪", "婷",
    "慧", "琳", "颖", "倩", "晓", "丹", "鑫", "帅", "龙", "飞", "新", "春", "成", "振", "兴", "永",
];

/// Streets and places of the fictional city of 临江.
const PLACES: &[&str] = &[
    "人民路",
    "解放路",
    "建设路",
    "中山路",
    "滨江大道",
    "江湾路",
    "新华街",
    "朝阳路",
    "长安街",
    "和平路",
    "东风路",
    "湖滨路",
    "金桥路",
    "花园街",
    "青年路",
    "临江广场",
    "火车站广场",
    "北门菜市场",
];

/// Banks of the fictional city, for frozen accounts.
pub(crate) const BANKS: &[&str] = &[
    "临江农商银行",
    "临江城市商业银行",
    "江湾村镇银行",
    "滨江信用合作联社",
];

/// Picks one of `items`, or `""` if it is empty.
pub(crate) fn pick(rng: &mut impl Rng, items: &[&'static str]) -> &'static str {
    if items.is_empty() {
        return "";
    }
    items
        .get(rng.random_range(0..items.len()))
        .copied()
        .unwrap_or_default()
}

/// A surname, the common ones more often: the square of a uniform draw favours low indices.
fn surname(rng: &mut impl Rng) -> &'static str {
    let u: f64 = rng.random();
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "u*u*len is in 0..len, a small non-negative number"
    )]
    let i = (u * u * SURNAMES.len() as f64) as usize;
    SURNAMES.get(i).copied().unwrap_or("王")
}

/// An officer's full fictional name, e.g. `王建国` or `李娜`.
pub(crate) fn full_name(rng: &mut impl Rng) -> String {
    let mut s = String::with_capacity(9);
    s.push_str(surname(rng));
    s.push_str(pick(rng, GIVEN));
    if rng.random_bool(0.7) {
        s.push_str(pick(rng, GIVEN));
    }
    s
}

/// A person's name as case documents anonymise it: `张某` or `张某某`.
pub(crate) fn anonymised_name(rng: &mut impl Rng) -> String {
    let mut s = String::with_capacity(9);
    s.push_str(surname(rng));
    s.push_str(if rng.random_bool(0.5) {
        "某某"
    } else {
        "某"
    });
    s
}

/// A place in the city.
pub(crate) fn place(rng: &mut impl Rng) -> &'static str {
    pick(rng, PLACES)
}

/// A fictional 18-character id-card number (居民身份证号码) for a person born on `birth_day`
/// (days since 1970-01-01): area `99xxxx`, birth date, sequence, and a valid ISO 7064 MOD 11-2
/// check character, so it looks and checks like a real one without belonging to anybody.
pub(crate) fn id_number(rng: &mut impl Rng, birth_day: i64) -> String {
    let mut s = String::with_capacity(18);
    s.push_str("99");
    push_digits(&mut s, rng.random_range(0..10_000), 4);
    compact_date(birth_day, &mut s);
    push_digits(&mut s, rng.random_range(0..1_000), 3);
    s.push(check_char(&s));
    s
}

fn push_digits(s: &mut String, n: u32, width: u32) {
    for k in (0..width).rev() {
        let d = n / 10_u32.pow(k) % 10;
        s.push(char::from_digit(d, 10).unwrap_or('0'));
    }
}

/// The check character of the first 17 digits of an id-card number (GB 11643).
fn check_char(first17: &str) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let sum: u32 = first17
        .chars()
        .filter_map(|c| c.to_digit(10))
        .zip(WEIGHTS)
        .map(|(d, w)| d * w)
        .sum();
    CHARS.get((sum % 11) as usize).copied().unwrap_or('0')
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::clock::days_from_civil;

    #[test]
    fn id_numbers_are_well_formed() {
        // The check character of a published example number (GB 11643 annex).
        assert_eq!(check_char("11010519491231002"), 'X');
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let n = id_number(&mut rng, days_from_civil(2009, 7, 15));
        assert_eq!(n.chars().count(), 18);
        assert!(n.starts_with("99"));
        assert_eq!(&n[6..14], "20090715");
        assert_eq!(n.chars().last(), Some(check_char(&n[..17])));
    }

    #[test]
    fn names_look_chinese() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        for _ in 0..100 {
            let n = full_name(&mut rng);
            assert!((2..=3).contains(&n.chars().count()), "{n}");
            let a = anonymised_name(&mut rng);
            assert!(a.contains('某'), "{a}");
        }
    }
}
