//! Corpus and property tests of the GIFT, Aiken and CSV importers and exporters.

use invigil_domain::content::{
    CorrectAnswer, Difficulty, ExportFormat, ImportFormat, ImportOutcome, Question, QuestionType,
    export, export_csv, export_gift, import, parse_aiken, parse_csv, parse_gift,
};
use serde_json::json;

fn clean(o: &ImportOutcome) -> Vec<&Question> {
    assert!(o.errors.is_empty(), "unexpected errors: {:?}", o.errors);
    o.items.iter().map(|i| &i.question).collect()
}

fn key(q: &Question) -> serde_json::Value {
    serde_json::to_value(q.correct_answer()).unwrap_or_default()
}

// ---------------------------------------------------------------- GIFT

const GIFT_CORPUS: &str = r#"// A Moodle-style file with every supported type.
$CATEGORY: $course$/top/Geography/Capitals

::Q1:: Who's buried in Grant's tomb?{~Grant ~Jefferson =no one}

::Q2:: Grant is {~buried =entombed ~living} in Grant's tomb.

Grant is buried in Grant's tomb.{FALSE}

The sun rises in the east.{T#Wrong#Right}

Who's buried in Grant's tomb?{=no one =nobody =%50%Grant}

When was Ulysses S. Grant born?{#1822:5}

What is a number from 1 to 5? {#1..5}

What is seven halves? {#
    =3.5:0.0005#Right
    =%50%3.25:0.005#Half
}

Mahatma Gandhi's birthday is {=October 2nd =2 October} in India.

What two people are entombed in Grant's tomb? {
   ~%-100%No one
   ~%50%Grant
   ~%50%Grant's wife
   ~%-100%Grant's father
}

Which are primes?{=2 =3 ~4}

Write about GIFT.{}

$CATEGORY: Math

Escapes\: 1\+1 \= 2, \{braces\} \~tilde \#hash\nnew line{=yes\=no #fb}

[markdown]**Bold** question{T####General feedback here}
"#;

#[test]
fn gift_corpus() {
    let o = parse_gift(GIFT_CORPUS);
    let qs = clean(&o);
    let types: Vec<_> = qs.iter().map(|q| q.question_type()).collect();
    use QuestionType::*;
    assert_eq!(
        types,
        [
            SingleChoice,
            SingleChoice,
            TrueFalse,
            TrueFalse,
            ShortAnswer,
            Numeric,
            Numeric,
            Numeric,
            FillBlank,
            MultipleSelect,
            MultipleSelect,
            Essay,
            ShortAnswer,
            TrueFalse
        ]
    );
    let lines: Vec<_> = o.items.iter().map(|i| i.line).collect();
    assert_eq!(lines, [4, 6, 8, 10, 12, 14, 16, 18, 23, 25, 32, 34, 38, 40]);

    assert_eq!(qs[0].text(), "Who's buried in Grant's tomb?");
    assert_eq!(qs[0].options(), ["Grant", "Jefferson", "no one"]);
    assert_eq!(key(qs[0]), json!({"option": 2}));
    assert_eq!(qs[0].tags(), ["Geography", "Capitals"]);
    assert_eq!(qs[0].points(), 1.0);
    assert_eq!(qs[0].difficulty(), Difficulty::Medium);

    assert_eq!(qs[1].text(), "Grant is ___ in Grant's tomb.");
    assert_eq!(key(qs[1]), json!({"option": 1}));
    assert_eq!(key(qs[2]), json!({"value": false}));
    assert_eq!(key(qs[3]), json!({"value": true}));
    assert_eq!(
        key(qs[4]),
        json!({"accepted": ["no one", "nobody"], "case_sensitive": false})
    );
    assert_eq!(key(qs[5]), json!({"value": 1822.0, "tolerance": 5.0}));
    assert_eq!(key(qs[6]), json!({"value": 3.0, "tolerance": 2.0}));
    assert_eq!(key(qs[7]), json!({"value": 3.5, "tolerance": 0.0005}));
    assert_eq!(qs[8].text(), "Mahatma Gandhi's birthday is ___ in India.");
    assert_eq!(
        key(qs[8]),
        json!({"blanks": [["October 2nd", "2 October"]]})
    );
    assert_eq!(key(qs[9]), json!({"options": [1, 2]}));
    assert_eq!(key(qs[10]), json!({"options": [0, 1]}));
    assert_eq!(qs[11].correct_answer(), None);
    assert_eq!(
        qs[12].text(),
        "Escapes: 1\\+1 = 2, {braces} ~tilde #hash\nnew line"
    );
    assert_eq!(
        key(qs[12]),
        json!({"accepted": ["yes=no"], "case_sensitive": false})
    );
    assert_eq!(qs[12].tags(), ["Math"]);
    assert_eq!(qs[13].text(), "**Bold** question");
    assert_eq!(qs[13].explanation(), Some("General feedback here"));
}

#[test]
fn gift_crlf_bom_and_unicode() {
    let src =
        "\u{feff}// comment\r\n::Ü::Größe von π?{=drei ~zwei}\r\n\r\n\r\nЧто это?{=кот =КОТ}\r\n";
    let o = parse_gift(src);
    let qs = clean(&o);
    assert_eq!(qs.len(), 2);
    assert_eq!(qs[0].text(), "Größe von π?");
    assert_eq!(qs[0].options(), ["drei", "zwei"]);
    assert_eq!(o.items[0].line, 2);
    assert_eq!(o.items[1].line, 5);
    assert_eq!(qs[1].text(), "Что это?");
}

#[test]
fn gift_errors_are_per_item_and_parsing_continues() {
    let src = "Good?{T}\n\n\
               Matching{=Canada -> Ottawa =Italy -> Rome}\n\n\
               No block at all\n\n\
               Unclosed{=a\n\n\
               No correct{~a ~b}\n\n\
               Bad number{#abc}\n\n\
               ::unterminated title {T}\n\n\
               Two blocks{T} and {F}\n\n\
               Single option{=a ~}\n\n\
               Bad meta\n// invigil: points=lots\n\n\
               // invigil: points=0\nZero points{T}\n\n\
               Also good{F}\n";
    let o = parse_gift(src);
    assert_eq!(o.items.len(), 2, "{:?}", o.errors);
    assert_eq!(o.items[0].line, 1);
    assert_eq!(o.items[1].line, 25);
    let lines: Vec<_> = o.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [3, 5, 7, 9, 11, 13, 15, 17, 19, 23]);
    assert!(o.errors[0].message.contains("matching"));
    assert!(o.errors[2].message.contains("not closed"));
    assert!(o.errors[10 - 1].message.contains("points"));
}

#[test]
fn gift_metadata_comment() {
    let src = "// invigil: points=2.5 difficulty=HARD case_sensitive=true\nName the salt.{=NaCl}\n\n\
               // invigil: type=fill_blank\nThe capital of France is {=Paris}\n";
    let qs_o = parse_gift(src);
    let qs = clean(&qs_o);
    assert_eq!(qs[0].points(), 2.5);
    assert_eq!(qs[0].difficulty(), Difficulty::Hard);
    assert_eq!(
        key(qs[0]),
        json!({"accepted": ["NaCl"], "case_sensitive": true})
    );
    assert_eq!(qs[1].question_type(), QuestionType::FillBlank);
    assert_eq!(qs[1].text(), "The capital of France is ___");
}

#[test]
fn gift_export_examples() {
    let o = parse_gift("Escapes \\{x\\} a\\:b{=a\\=b ~c\\#d}\n\nBirthday {=Oct 2} in India.\n");
    let qs: Vec<Question> = clean(&o).into_iter().cloned().collect();
    let text = export_gift(&qs);
    assert!(
        text.contains("[markdown]Escapes \\{x\\} a\\:b{=a\\=b ~c\\#d }"),
        "{text}"
    );
    assert!(
        text.contains("[markdown]Birthday {=Oct 2 } in India."),
        "{text}"
    );
    let again: Vec<Question> = clean(&parse_gift(&text)).into_iter().cloned().collect();
    assert_eq!(again, qs);
}

#[test]
fn gift_multi_blank_fill_blank_exports_lossy_essay() {
    let o = parse_csv(
        "type,text,correct_answer\nfill_blank,___ and ___,\"{\"\"blanks\"\":[[\"\"a\"\"],[\"\"b\"\",\"\"c\"\"]]}\"\n",
    );
    let qs: Vec<Question> = clean(&o).into_iter().cloned().collect();
    let text = export_gift(&qs);
    let back = parse_gift(&text);
    let back = clean(&back);
    assert_eq!(back[0].question_type(), QuestionType::Essay);
    assert_eq!(
        back[0].explanation(),
        Some("Accepted answers:\nBlank 1: a\nBlank 2: b / c")
    );
}

#[test]
fn gift_10k_questions_parse_fast() {
    let mut src = String::new();
    for i in 0..10_000 {
        src.push_str(&format!(
            "::Q{i}:: Question number {i} with some text to read?{{=right ~wrong one ~wrong two#fb ~wrong three####general}}\n\n"
        ));
    }
    let started = std::time::Instant::now();
    let o = parse_gift(&src);
    let took = started.elapsed();
    assert_eq!(o.items.len(), 10_000);
    // Debug builds are ~10x slower than release; the bound stays generous but catches
    // quadratic behaviour.
    eprintln!("parsed 10,000 GIFT questions in {took:?}");
    assert!(took.as_secs_f64() < 5.0, "took {took:?}");
}

// ---------------------------------------------------------------- Aiken

#[test]
fn aiken_corpus() {
    let src = "Is this an Aiken question?\nA. Yes\nB) No\nC. Maybe\nANSWER: A\n\n\
               Multi-line\nquestion text?\r\nA) Ünïcödé\r\nB) two\r\nANSWER: B\r\n";
    let o = parse_aiken(src);
    let qs = clean(&o);
    assert_eq!(qs.len(), 2);
    assert_eq!(qs[0].options(), ["Yes", "No", "Maybe"]);
    assert_eq!(key(qs[0]), json!({"option": 0}));
    assert_eq!(qs[1].text(), "Multi-line\nquestion text?");
    assert_eq!(qs[1].options(), ["Ünïcödé", "two"]);
    assert_eq!(o.items[1].line, 7);
}

#[test]
fn aiken_errors() {
    let src = "Only one option\nA. a\nANSWER: A\n\nWrong letter\nA. a\nB. b\nANSWER: Q\n\nMissing\nA. a\nB. b\n\nFine\nA. a\nB. b\nANSWER: b";
    let o = parse_aiken(src);
    assert_eq!(o.items.len(), 1);
    assert_eq!(o.items[0].line, 14);
    let lines: Vec<_> = o.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [1, 5, 10]);
    assert!(o.errors[0].message.contains("options"), "{:?}", o.errors);
}

// ---------------------------------------------------------------- CSV

#[test]
fn csv_corpus_all_types() {
    let src = "type,text,options,correct_answer,points,difficulty,tags,explanation\r\n\
single_choice,\"Pick, one\",a|b\\|c,\"{\"\"option\"\":1}\",2,easy,x|y,because\r\n\
multiple_select,Pick,a|b|c,\"{\"\"options\"\":[0,2]}\",,,,\r\n\
true_false,Sky is blue,,\"{\"\"value\"\":true}\",,,,\r\n\
short_answer,Capital?,,\"{\"\"accepted\"\":[\"\"Paris\"\"],\"\"case_sensitive\"\":false}\",,,,\r\n\
numeric,Pi?,,\"{\"\"value\"\":3.25,\"\"tolerance\"\":0.01}\",,,,\r\n\
fill_blank,\"A ___\nB ___\",,\"{\"\"blanks\"\":[[\"\"a\"\"],[\"\"b\"\"]]}\",,,,\r\n\
essay,Discuss,,,10,HARD,,\r\n";
    let o = parse_csv(src);
    let qs = clean(&o);
    assert_eq!(qs.len(), 7);
    assert_eq!(qs[0].text(), "Pick, one");
    assert_eq!(qs[0].options(), ["a", "b|c"]);
    assert_eq!(qs[0].points(), 2.0);
    assert_eq!(qs[0].difficulty(), Difficulty::Easy);
    assert_eq!(qs[0].explanation(), Some("because"));
    let lines: Vec<_> = o.items.iter().map(|i| i.line).collect();
    assert_eq!(lines, [2, 3, 4, 5, 6, 7, 9]);
    let owned: Vec<Question> = qs.into_iter().cloned().collect();
    let back = parse_csv(&export_csv(&owned));
    assert_eq!(clean(&back).into_iter().cloned().collect::<Vec<_>>(), owned);
}

#[test]
fn csv_errors() {
    let src = "type,text,correct_answer,points\n\
               single_choice,No options,\"{\"\"option\"\":0}\",1\n\
               riddle,What?,,1\n\
               essay,Fine,,1\n\
               true_false,Bad json,{value,1\n\
               essay,Bad points,,many\n\
               essay,Too,many,fields,here\n";
    let o = parse_csv(src);
    assert_eq!(o.items.len(), 1);
    let lines: Vec<_> = o.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [2, 3, 5, 6, 7], "{:?}", o.errors);
}

#[test]
fn dispatch_by_format() {
    let o = import(ImportFormat::Gift, "Q{T}");
    assert_eq!(o.items.len(), 1);
    let qs = vec![o.items[0].question.clone()];
    assert!(export(ExportFormat::Gift, &qs).contains("{TRUE}"));
    assert!(export(ExportFormat::Csv, &qs).starts_with("type,text,"));
    assert_eq!(
        serde_json::to_value(ImportFormat::Aiken).unwrap(),
        json!("aiken")
    );
}

#[test]
fn correct_answer_shapes_are_api_shapes() {
    let o = parse_gift("Q{=a =b}");
    let q = &o.items[0].question;
    assert!(matches!(
        q.correct_answer(),
        Some(CorrectAnswer::ShortAnswer { .. })
    ));
}
