//! An XLS's workbook stream (BIFF records), checked before calamine reads it.
//!
//! calamine reads every sheet of an XLS when it opens the file, each into the rectangle from its
//! first cell to its last (`Range::from_sparse`), after reserving room for what the sheet's
//! DIMENSIONS record claims. Neither is bounded: two cells far apart in a small file asked for
//! 1.7 GB twice (found by `fuzz/`'s `lists_workbook`), and a DIMENSIONS record whose first row
//! lies after its last wraps around to four billion rows in a release build (calamine subtracts
//! without a check), which no allocator grants. So the records are read here as calamine reads
//! them (`calamine/src/xls.rs`, 0.38), and a sheet whose rectangle or claimed dimensions exceed
//! [`crate::workbook::MAX_CELLS`] is refused before calamine allocates anything.
//!
//! Where calamine would take fewer cells (a label whose string is missing, a record it refuses),
//! this counts them all: the check may refuse more than calamine would read, never less.

use crate::workbook::MAX_CELLS;

const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const CONTINUE: u16 = 0x003C;
const BOUND_SHEET: u16 = 0x0085;
const DIMENSIONS: u16 = 0x0200;
const FORMULA: u16 = 0x0006;
const STRING: u16 = 0x0207;
const MUL_RK: u16 = 0x00BD;
/// Number, Label, RString, BoolErr, Rk, LabelSst: a cell at the row and column of their first
/// four bytes.
const CELLS: [u16; 6] = [0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD];

fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    data.get(at..at + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    data.get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// The records of a stream as calamine's `RecordIter` reads them: type and data, continuations
/// skipped; None at the end or where calamine fails.
struct Records<'a> {
    stream: &'a [u8],
}

impl<'a> Iterator for Records<'a> {
    type Item = (u16, &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        let typ = u16_at(self.stream, 0)?;
        let len = u16_at(self.stream, 2)? as usize;
        let data = self.stream.get(4..4 + len)?;
        self.stream = &self.stream[4 + len..];
        if self.stream.len() > 4 && u16_at(self.stream, 0) == Some(CONTINUE) {
            while self.stream.len() > 4 && u16_at(self.stream, 0) == Some(CONTINUE) {
                let len = u16_at(self.stream, 2)? as usize;
                self.stream = self.stream.get(4 + len..)?;
            }
        }
        Some((typ, data))
    }
}

/// The smallest rectangle holding the cells seen.
#[derive(Default)]
struct Rectangle {
    seen: Option<(u32, u32, u32, u32)>,
}

impl Rectangle {
    fn add(&mut self, row: u32, col: u32) {
        let (r0, r1, c0, c1) = self.seen.unwrap_or((row, row, col, col));
        self.seen = Some((r0.min(row), r1.max(row), c0.min(col), c1.max(col)));
    }

    fn cells(&self) -> u64 {
        self.seen.map_or(0, |(r0, r1, c0, c1)| {
            u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1)
        })
    }
}

/// The cells calamine reserves for a DIMENSIONS record, computed as a release build computes
/// them (`parse_dimensions`, then `rows * cols` in wrapping `u32`); None where calamine refuses
/// the record.
fn reserved(data: &[u8]) -> Option<u64> {
    let (rf, rl, cf, cl) = match data.len() {
        10 => (
            u32::from(u16_at(data, 0)?),
            u32::from(u16_at(data, 2)?),
            u32::from(u16_at(data, 4)?),
            u32::from(u16_at(data, 6)?),
        ),
        14 | 16 => (
            u32_at(data, 0)?,
            u32_at(data, 4)?,
            u32::from(u16_at(data, 8)?),
            u32::from(u16_at(data, 10)?),
        ),
        _ => return None,
    };
    let cf = if cf > 0xFF || cl < cf { 0 } else { cf };
    let (start, end) = if rl >= 1 && cl >= 1 {
        ((rf, cf), (rl - 1, cl - 1))
    } else {
        ((rf, cf), (rf, cf))
    };
    let rows = end.0.wrapping_sub(start.0).wrapping_add(1);
    let cols = end.1.wrapping_sub(start.1).wrapping_add(1);
    Some(u64::from(rows).saturating_mul(u64::from(cols)))
}

/// Why calamine must not read this workbook stream; `Ok` when its sheets are of a size to read.
pub fn check(stream: &[u8]) -> Result<(), String> {
    let sheets: Vec<usize> = Records { stream }
        .take_while(|(typ, _)| *typ != EOF)
        .filter(|(typ, _)| *typ == BOUND_SHEET)
        .filter_map(|(_, data)| u32_at(data, 0))
        .map(|pos| pos as usize)
        .collect();
    for (number, pos) in sheets.into_iter().enumerate() {
        let Some(sheet) = stream.get(pos..) else {
            continue;
        };
        let mut cells = Rectangle::default();
        let mut formulas = Rectangle::default();
        let mut formula_at = (0, 0);
        let mut seen_bof = false;
        let mut depth = 0usize;
        for (typ, data) in (Records { stream: sheet }) {
            if depth > 0 {
                match typ {
                    BOF => depth += 1,
                    EOF => depth -= 1,
                    _ => {}
                }
                continue;
            }
            let at = || Some((u32::from(u16_at(data, 0)?), u32::from(u16_at(data, 2)?)));
            match typ {
                BOF if seen_bof => depth += 1,
                BOF => seen_bof = true,
                EOF => break,
                DIMENSIONS => {
                    if let Some(claimed) = reserved(data).filter(|n| *n > MAX_CELLS as u64) {
                        return Err(format!("sheet {} claims {claimed} cells", number + 1));
                    }
                }
                FORMULA => {
                    if let Some((row, col)) = at() {
                        formula_at = (row, col);
                        cells.add(row, col);
                        formulas.add(row, col);
                    }
                }
                STRING => cells.add(formula_at.0, formula_at.1),
                MUL_RK => {
                    if let (Some((row, first)), true) = (at(), data.len() >= 6) {
                        let count = (data.len() - 6).div_ceil(6) as u32;
                        cells.add(row, first);
                        cells.add(row, first + count.max(1) - 1);
                    }
                }
                typ if CELLS.contains(&typ) => {
                    if let Some((row, col)) = at() {
                        cells.add(row, col);
                    }
                }
                _ => {}
            }
        }
        let largest = cells.cells().max(formulas.cells());
        if largest > MAX_CELLS as u64 {
            return Err(format!(
                "sheet {} spans {largest} cells from its first to its last",
                number + 1
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut out = typ.to_le_bytes().to_vec();
        out.extend((data.len() as u16).to_le_bytes());
        out.extend(data);
        out
    }

    /// A workbook stream: globals naming one sheet, then the sheet's records.
    fn stream(sheet: &[Vec<u8>]) -> Vec<u8> {
        let bof = record(BOF, &[0, 6, 5, 0]);
        let bound = |pos: u32| {
            record(
                BOUND_SHEET,
                &[&pos.to_le_bytes()[..], &[0, 0, 1, 0, b'A']].concat(),
            )
        };
        let globals_len = bof.len() + bound(0).len() + record(EOF, &[]).len();
        let mut out = [bof.clone(), bound(globals_len as u32), record(EOF, &[])].concat();
        out.extend(bof);
        for r in sheet {
            out.extend(r);
        }
        out.extend(record(EOF, &[]));
        out
    }

    fn number(row: u16, col: u16) -> Vec<u8> {
        let mut data = row.to_le_bytes().to_vec();
        data.extend(col.to_le_bytes());
        data.extend([0u8; 10]);
        record(0x0203, &data)
    }

    #[test]
    fn a_sheet_of_a_few_cells_passes() {
        assert_eq!(check(&stream(&[number(0, 0), number(10, 3)])), Ok(()));
    }

    #[test]
    fn two_cells_far_apart_are_refused() {
        let err = check(&stream(&[number(0, 0), number(65_535, 255)])).unwrap_err();
        assert!(err.contains("spans"), "{err}");
    }

    #[test]
    fn dimensions_whose_first_row_lies_after_the_last_are_refused() {
        // Rows 10 to 5: calamine's `5 - 1 - 10 + 1` wraps to four billion in a release build.
        let mut data = 10u32.to_le_bytes().to_vec();
        data.extend(5u32.to_le_bytes());
        data.extend([0, 0, 2, 0, 0, 0]);
        let err = check(&stream(&[record(DIMENSIONS, &data)])).unwrap_err();
        assert!(err.contains("claims"), "{err}");
    }

    #[test]
    fn cells_in_an_embedded_chart_do_not_count() {
        let chart = [
            record(BOF, &[0, 6, 0x20, 0]),
            number(65_535, 255),
            record(EOF, &[]),
        ];
        let sheet: Vec<Vec<u8>> = [vec![number(0, 0)], chart.to_vec()].concat();
        assert_eq!(check(&stream(&sheet)), Ok(()));
    }
}
