//! Survey catalog formats and their errors: FITS binary tables (written and read back, a
//! file built byte by byte from the FITS standard, corrupt files), ChempyMulti npz mocks
//! (and foreign npz archives), missing columns and values that may not be NaN. Every error
//! must name the file and the problem (and the column or row where there is one).

use galchem::catalog::ColumnData;
use galchem::infer::{ColumnPreset, ObservationTable};
use galchem::{Posterior, Table};
use ndarray::{array, Array1, Array2};
use ndarray_npy::WriteNpyExt;
use std::io::Write;
use std::path::Path;

// ---- FITS -------------------------------------------------------------------------------

/// One 80-character header card.
fn card(text: &str) -> String {
    assert!(text.len() <= 80, "{text}");
    format!("{text:<80}")
}

/// A header from card texts, with END, padded with blanks to 2880-byte blocks.
fn header(cards: &[&str]) -> Vec<u8> {
    let mut s: String = cards.iter().map(|c| card(c)).collect();
    s.push_str(&card("END"));
    let mut b = s.into_bytes();
    b.resize(b.len().div_ceil(2880) * 2880, b' ');
    b
}

/// One row of [`handmade`]: APOGEE_ID, FE_H, FE_H_ERR, FE_H_FLAG, SNR, GOOD, X_H, N.
type Row<'a> = (&'a str, f32, f64, i32, i16, u8, [f32; 2], u8);

/// A FITS file by hand (FITS standard 4.0 §4.4 and §7.3): an empty primary HDU with commentary
/// cards, then a BINTABLE of 3 rows with APOGEE-like columns: `APOGEE_ID` (10A), `FE_H` (E),
/// `FE_H_ERR` (D), `FE_H_FLAG` (J, TNULL −1), `SNR` (I scaled by TSCAL 0.5, TZERO 100),
/// `GOOD` (L), `X_H` (2E), `N` (B).
fn handmade(bitpix: i64, tform2: &str) -> Vec<u8> {
    let mut b = header(&[
        "SIMPLE  =                    T / conforms to FITS standard",
        "BITPIX  =                    8",
        "NAXIS   =                    0",
        "EXTEND  =                    T",
        "COMMENT   written byte by byte by galchem's tests",
        "HISTORY   no data in the primary HDU",
    ]);
    let row_len = 10 + 4 + 8 + 4 + 2 + 1 + 8 + 1;
    let bitpix = format!("BITPIX  = {bitpix:>20} / 8-bit bytes");
    let naxis1 = format!("NAXIS1  = {row_len:>20} / bytes per row");
    let tform2 = format!("TFORM2  = '{tform2:<8}'");
    b.extend(header(&[
        "XTENSION= 'BINTABLE'           / binary table extension",
        &bitpix,
        "NAXIS   =                    2",
        &naxis1,
        "NAXIS2  =                    3 / rows",
        "PCOUNT  =                    0",
        "GCOUNT  =                    1",
        "TFIELDS =                    8",
        "TTYPE1  = 'APOGEE_ID'",
        "TFORM1  = '10A     '",
        "TTYPE2  = 'FE_H    '",
        &tform2,
        "TUNIT2  = 'dex     '",
        "TTYPE3  = 'FE_H_ERR'",
        "TFORM3  = 'D       '",
        "TTYPE4  = 'FE_H_FLAG'",
        "TFORM4  = 'J       '",
        "TNULL4  =                   -1",
        "TTYPE5  = 'SNR     '",
        "TFORM5  = 'I       '",
        "TSCAL5  =                  0.5",
        "TZERO5  =                100.0",
        "TTYPE6  = 'GOOD    '",
        "TFORM6  = 'L       '",
        "TTYPE7  = 'X_H     '",
        "TFORM7  = '2E      '",
        "TTYPE8  = 'N       '",
        "TFORM8  = 'B       '",
        "EXTNAME = 'ALLSTAR '",
    ]));
    let rows: [Row; 3] = [
        ("2M0001", -0.25, 0.01, 0, 40, b'T', [0.1, 0.2], 7),
        (
            "2M0002-LONG",
            0.125,
            0.2,
            3,
            -200,
            b'F',
            [f32::NAN, 1.5],
            255,
        ),
        ("", f32::NAN, 0.05, -1, 0, 0, [0.0, 0.0], 0),
    ];
    for (id, fe, err, flag, snr, good, xh, n) in rows {
        let mut name = id.as_bytes().to_vec();
        name.resize(10, b' ');
        b.extend(name);
        b.extend(fe.to_be_bytes());
        b.extend(err.to_be_bytes());
        b.extend(flag.to_be_bytes());
        b.extend(snr.to_be_bytes());
        b.push(good);
        b.extend(xh[0].to_be_bytes());
        b.extend(xh[1].to_be_bytes());
        b.push(n);
    }
    b.resize(b.len().div_ceil(2880) * 2880, 0);
    b
}

fn floats(t: &Table, c: &str) -> Vec<f64> {
    t.column_f64(c).unwrap()
}

/// Same values, NaN equal to NaN.
fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
}

#[test]
fn a_fits_file_built_from_the_standard_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("allStar-like.fits");
    std::fs::write(&p, handmade(8, "E")).unwrap();
    let t = Table::read(&p).unwrap();
    assert_eq!(
        t.columns(),
        [
            "APOGEE_ID",
            "FE_H",
            "FE_H_ERR",
            "FE_H_FLAG",
            "SNR",
            "GOOD",
            "X_H[0]",
            "X_H[1]",
            "N"
        ]
    );
    assert_eq!(t.len(), 3);
    assert_eq!(
        t.column_data("APOGEE_ID").unwrap(),
        ColumnData::Text(vec!["2M0001".into(), "2M0002-LON".into(), "".into()])
    );
    assert!(same(&floats(&t, "FE_H"), &[-0.25, 0.125, f64::NAN]));
    assert_eq!(floats(&t, "FE_H_ERR"), [0.01, 0.2, 0.05]);
    assert!(same(&floats(&t, "FE_H_FLAG"), &[0.0, 3.0, f64::NAN]));
    assert_eq!(floats(&t, "SNR"), [120.0, 0.0, 100.0]);
    assert_eq!(
        t.column_data("GOOD").unwrap(),
        ColumnData::Bool(vec![true, false, false])
    );
    assert!(same(&floats(&t, "X_H[0]"), &[0.1f32 as f64, f64::NAN, 0.0]));
    assert_eq!(
        t.column_data("N").unwrap(),
        ColumnData::Int(vec![7, 255, 0])
    );

    // through the apogee preset: the NaN value is missing, the flag 3 masks row 1's value,
    // the TNULL flag of row 2 counts as unflagged
    let map = ColumnPreset::Apogee.map(&t, &["Fe_H".to_string()]).unwrap();
    let obs = ObservationTable::from_table(&t, &map).unwrap();
    assert_eq!(obs.missing.column(0).to_vec(), [false, false, true]);
    assert_eq!(
        obs.flagged.unwrap().column(0).to_vec(),
        [false, true, false]
    );
    assert_eq!(obs.labels.unwrap()[0], "2M0001");
}

#[test]
fn fits_round_trip_keeps_every_value() {
    let dir = tempfile::tempdir().unwrap();
    let t = Table::from_columns(vec![
        (
            "id".into(),
            ColumnData::Text(vec!["a".into(), "bb".into(), "".into()]),
        ),
        ("x".into(), ColumnData::Float(vec![0.1, f64::NAN, -1e300])),
        ("n".into(), ColumnData::Int(vec![i64::MIN + 1, 0, i64::MAX])),
        ("ok".into(), ColumnData::Bool(vec![true, false, true])),
    ])
    .unwrap();
    let p = dir.path().join("t.fits");
    t.write(&p).unwrap();
    let bytes = std::fs::read(&p).unwrap();
    assert_eq!(bytes.len() % 2880, 0);
    assert!(bytes.starts_with(b"SIMPLE  =                    T"));
    let u = Table::read(&p).unwrap();
    assert_eq!(u.columns(), t.columns());
    for c in ["id", "n", "ok"] {
        assert_eq!(u.column_data(c).unwrap(), t.column_data(c).unwrap(), "{c}");
    }
    assert!(same(&floats(&u, "x"), &floats(&t, "x")));
    // and again: the bytes are stable
    let q = dir.path().join("u.fits");
    u.write(&q).unwrap();
    assert_eq!(std::fs::read(&q).unwrap(), bytes);
}

fn fits_error(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.fits");
    std::fs::write(&p, bytes).unwrap();
    let e = Table::read(&p).unwrap_err().to_string();
    assert!(e.contains("bad.fits") && e.contains("FITS"), "{e}");
    e
}

#[test]
fn corrupt_fits_files_are_clear_errors() {
    let good = handmade(8, "E");
    // a header cut short
    let e = fits_error(&good[..2880 + 800]);
    assert!(
        e.contains("HDU 2") && e.contains("before its END card"),
        "{e}"
    );
    // a BINTABLE with BITPIX 16
    let e = fits_error(&handmade(16, "E"));
    assert!(e.contains("BITPIX = 16") && e.contains("BITPIX = 8"), "{e}");
    // an unknown TFORM, and one whose width does not add up to NAXIS1
    let e = fits_error(&handmade(8, "3Z"));
    assert!(
        e.contains("column 2 (FE_H)") && e.contains("unknown type code Z"),
        "{e}"
    );
    let e = fits_error(&handmade(8, "D"));
    assert!(e.contains("NAXIS1 is 38") && e.contains("42 bytes"), "{e}");
    // data cut short
    let e = fits_error(&good[..2 * 2880 + 50]);
    assert!(
        e.contains("ends inside the table's data") && e.contains("3 rows"),
        "{e}"
    );
    // bytes that are not ASCII in a header
    let mut bin = good.clone();
    bin[2880 + 5 * 80 + 20] = 0xC3;
    let e = fits_error(&bin);
    assert!(e.contains("card 6 is not ASCII"), "{e}");
    // only a primary HDU, and not FITS at all
    let e = fits_error(&good[..2880]);
    assert!(e.contains("no binary table"), "{e}");
    let e = fits_error(b"SIMPLE  = F");
    assert!(e.contains("ends inside a header"), "{e}");
}

// ---- npz -------------------------------------------------------------------------------

/// A `.npy` of fixed-width UTF-32 strings (`<U2`), as numpy writes `np.array(["C", …])`.
fn npy_text(values: &[&str]) -> Vec<u8> {
    let dict = format!(
        "{{'descr': '<U2', 'fortran_order': False, 'shape': ({},), }}",
        values.len()
    );
    let mut h = dict.into_bytes();
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(b' ');
    }
    h.push(b'\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((h.len() as u16).to_le_bytes());
    out.extend(h);
    for v in values {
        let mut c: Vec<u32> = v.chars().map(|c| c as u32).collect();
        c.resize(2, 0);
        c.iter().for_each(|u| out.extend(u.to_le_bytes()));
    }
    out
}

/// An npz archive of `members` (name, .npy bytes).
fn npz(path: &Path, members: &[(&str, Vec<u8>)]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let o =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in members {
        zip.start_file(format!("{name}.npy"), o).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

fn npy2(a: &Array2<f64>) -> Vec<u8> {
    let mut b = Vec::new();
    a.write_npy(&mut b).unwrap();
    b
}

fn npy1(a: &Array1<f64>) -> Vec<u8> {
    let mut b = Vec::new();
    a.write_npy(&mut b).unwrap();
    b
}

#[test]
fn a_chempy_multi_npz_mock_is_read_and_mapped() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("Mock_Data_Test.npz");
    let ab = array![[0.1, -0.3, 0.2], [0.15, 0.0, f64::NAN]];
    let err = array![[0.05, 0.02, 0.1], [0.05, 0.03, 0.1]];
    npz(
        &p,
        &[
            ("elements", npy_text(&["C", "Fe", "Mg"])),
            ("abundances", npy2(&ab)),
            ("abundance_errs", npy2(&err)),
            ("true_abuns", npy2(&(&ab * 0.0))),
            ("obs_time", npy1(&array![4.0, 9.5])),
        ],
    );
    let t = Table::read(&p).unwrap();
    for c in [
        "star", "obs_CFe", "obs_FeH", "obs_MgFe", "err_MgFe", "true_FeH", "obs_time",
    ] {
        assert!(t.has_column(c), "{c} not in {:?}", t.columns());
    }
    let names: Vec<String> = ["C_Fe", "Fe_H", "Mg_Fe"].map(String::from).to_vec();
    let map = ColumnPreset::ChempyNpz.map(&t, &names).unwrap();
    let obs = ObservationTable::from_table(&t, &map).unwrap();
    assert_eq!(obs.values.row(0).to_vec(), [0.1, -0.3, 0.2]);
    assert_eq!(obs.errors.unwrap().row(1).to_vec(), [0.05, 0.03, 0.1]);
    assert_eq!(obs.missing.row(1).to_vec(), [false, false, true]);
    // found by its first bytes under any name
    let q = dir.path().join("mock.dat");
    std::fs::copy(&p, &q).unwrap();
    assert_eq!(Table::read(&q).unwrap().columns(), t.columns());
}

#[test]
fn foreign_npz_archives_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("weights.npz");
    npz(
        &p,
        &[
            ("W1", npy2(&Array2::zeros((2, 2)))),
            ("b1", npy1(&Array1::zeros(2))),
        ],
    );
    let e = Table::read(&p).unwrap_err().to_string();
    assert!(
        e.contains("weights.npz") && e.contains("W1, b1") && e.contains("'abundances'"),
        "{e}"
    );
    // element names that do not match the abundance columns
    npz(
        &p,
        &[
            ("elements", npy_text(&["C"])),
            ("abundances", npy2(&Array2::zeros((2, 2)))),
        ],
    );
    let e = Table::read(&p).unwrap_err().to_string();
    assert!(e.contains("1 element names for 2 abundance columns"), "{e}");
    // a zip that is not one
    std::fs::write(&p, b"PK\x03\x04 garbage").unwrap();
    let e = Table::read(&p).unwrap_err().to_string();
    assert!(
        e.contains("weights.npz") && e.contains("not a zip archive"),
        "{e}"
    );
}

// ---- columns and values ----------------------------------------------------------------

#[test]
fn missing_columns_and_bad_values_name_where() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("apogee.fits");
    Table::from_columns(vec![
        ("FE_H".into(), ColumnData::Float(vec![0.1, 0.2])),
        ("MG_FE".into(), ColumnData::Float(vec![0.0, 0.1])),
    ])
    .unwrap()
    .write(&p)
    .unwrap();
    let t = Table::read(&p).unwrap();
    let names: Vec<String> = ["Fe_H", "Mg_Fe", "N_Fe"].map(String::from).to_vec();
    let e = ColumnPreset::Apogee
        .map(&t, &names)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("N_Fe (column N_FE)") && e.contains("apogee.fits") && e.contains("FE_H, MG_FE"),
        "{e}"
    );

    // text in an error column: the column, the row and the CSV line
    let c = dir.path().join("stars.csv");
    std::fs::write(&c, "obs_FeH,err_FeH\n0.1,0.05\n0.2,abc\n").unwrap();
    let t = Table::read(&c).unwrap();
    let map = ColumnPreset::Default
        .map(&t, &["Fe_H".to_string()])
        .unwrap();
    let e = ObservationTable::from_table(&t, &map)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("err_FeH") && e.contains("line 3") && e.contains("abc"),
        "{e}"
    );
}

#[test]
fn nan_where_a_posterior_needs_every_value() {
    let dir = tempfile::tempdir().unwrap();
    let sim = galchem::Chempy::load(
        &galchem::DataDir::resolve(None).unwrap(),
        galchem::YieldSet::Tng,
    )
    .unwrap();
    let mut o = galchem::NpeOptions {
        n_sims: 400,
        seed: 1,
        ..Default::default()
    };
    o.train.max_epochs = 1;
    o.train.checkpoint = None;
    let (post, _) =
        galchem::infer::npe::pipeline::train_npe_with(&galchem::Prior::npe(), &sim, &o, None)
            .unwrap();
    let mut x = vec![0.0; 8];
    x[1] = f64::NAN;
    let e = post.sample(&x, 10, 1).unwrap_err().to_string();
    assert!(e.contains("Fe_H = NaN") && e.contains("missing"), "{e}");

    // in a catalog: the row is skipped and reported with its column; a NaN error too
    let mut cols: Vec<(String, ColumnData)> = Vec::new();
    for (v, e) in galchem::infer::catalog::table_input::CATALOG_VALUE_COLUMNS
        .iter()
        .zip(galchem::infer::catalog::table_input::CATALOG_ERROR_COLUMNS)
    {
        cols.push((v.to_string(), ColumnData::Float(vec![0.0, 0.0, 0.0])));
        cols.push((e.to_string(), ColumnData::Float(vec![0.05, 0.05, 0.05])));
    }
    cols[2].1 = ColumnData::Float(vec![0.0, f64::NAN, 0.0]); // obs_FeH
    cols[7].1 = ColumnData::Float(vec![0.05, 0.05, f64::NAN]); // err_MgFe
    let t = Table::from_columns(cols).unwrap();
    let p = dir.path().join("gaps.fits");
    t.write(&p).unwrap();
    let t = Table::read(&p).unwrap();
    let map = ColumnPreset::Default.map(&t, post.obs_names()).unwrap();
    let obs = ObservationTable::from_table(&t, &map).unwrap();
    let v = galchem::infer::catalog::observe::validate(&obs.view(), post.obs_names()).unwrap();
    assert_eq!(v.rows, [0]);
    let skipped: Vec<String> = v.skipped.iter().map(|s| s.to_string()).collect();
    let all = skipped.join(" | ");
    assert!(all.contains("row 1: obs_FeH is missing"), "{all}");
    assert!(
        all.contains("row 2: err_MgFe = NaN is not a positive error"),
        "{all}"
    );
}
