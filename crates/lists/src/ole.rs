//! The container an XLS lives in (OLE, the Compound File Binary format of MS-CFB), checked before
//! calamine reads it.
//!
//! A compound file is a chain of sectors per stream, linked through the file allocation table
//! (FAT). calamine follows those chains without noticing a loop, and the directory's chain without
//! a length: a damaged file whose FAT links a sector back to itself makes it read the same sector
//! again and again until memory runs out (found by `fuzz/`'s `lists_workbook`: 512 bytes, a header
//! alone), and a DIFAT that lists one FAT sector over and over makes its FAT larger than memory.
//! Both are refused here first, the table read exactly as calamine 0.38 reads it
//! (`calamine/src/cfb.rs`): the header's 109 DIFAT entries, the DIFAT sectors after it, then each
//! FAT sector they name; a sector beyond the end of the file reads short the first time and as
//! zeros after that (calamine keeps what it read in a buffer that it pads with zeros). What
//! calamine refuses by itself (a short header, an unknown sector size, a sector beyond the file) is
//! left to it.

/// Sector ids from here on are markers (DIFAT sector, FAT sector, end of chain, free).
const MAX_REGULAR: u32 = 0xFFFF_FFFA;
const DIFSECT: u32 = 0xFFFF_FFFC;

fn u32s(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// The sectors as calamine reads them: from a buffer filled from the file as far as asked, padded
/// with zeros beyond its end.
struct Sectors<'a> {
    data: Vec<u8>,
    rest: &'a [u8],
    size: usize,
    max_id: usize,
}

impl Sectors<'_> {
    /// A sector's bytes; None where calamine fails (an id beyond the file, or a sector that starts
    /// beyond what it could read).
    fn get(&mut self, id: u32) -> Option<&[u8]> {
        let id = id as usize;
        if id > self.max_id {
            return None;
        }
        let start = id * self.size;
        let end = start + self.size;
        if end > self.data.len() {
            let len = self.data.len();
            let read = self.rest.len().min(end - len);
            self.data.extend_from_slice(&self.rest[..read]);
            self.rest = &self.rest[read..];
            let filled = self.data.len();
            self.data.resize(end, 0);
            if filled < end {
                return self.data.get(start..filled);
            }
        }
        self.data.get(start..end)
    }
}

/// Why the compound file cannot be read safely; `Ok` when it can, or when calamine refuses it by
/// itself.
pub fn check(bytes: &[u8]) -> Result<(), String> {
    let Some(header) = bytes.get(..512) else {
        return Ok(());
    };
    let size: usize = match u16::from_le_bytes([header[30], header[31]]) {
        0x0009 => 512,
        0x000C => 4096,
        _ => return Ok(()),
    };
    let Some(rest) = bytes.get(size..) else {
        return Ok(());
    };
    // calamine's highest sector id: the file's length in sectors, the header included.
    let max_id = bytes.len() / size;
    let mut sectors = Sectors {
        data: Vec::new(),
        rest,
        size,
        max_id,
    };

    let mut difat: Vec<u32> = u32s(&header[76..512]).collect();
    let mut id = u32::from_le_bytes([header[68], header[69], header[70], header[71]]);
    let mut difat_sectors = 0usize;
    while id < MAX_REGULAR {
        difat_sectors += 1;
        if difat_sectors > max_id + 1 {
            return Ok(());
        }
        let Some(data) = sectors.get(id) else {
            return Ok(());
        };
        difat.extend(u32s(data));
        match difat.pop() {
            Some(next) => id = next,
            None => return Ok(()),
        }
    }

    let fat_sectors: Vec<u32> = difat.into_iter().filter(|id| *id < DIFSECT).collect();
    if fat_sectors.len() > max_id + 1 {
        return Err(format!(
            "its allocation table names {} sectors in a file of {}",
            fat_sectors.len(),
            max_id + 1
        ));
    }
    let mut fat: Vec<u32> = Vec::with_capacity(fat_sectors.len() * size / 4);
    for id in fat_sectors {
        let Some(data) = sectors.get(id) else {
            return Ok(());
        };
        fat.extend(u32s(data));
    }

    // Every chain ends: following the FAT from any sector never comes back to a sector already on
    // the way (a marker, or an id beyond the table, ends a chain).
    const NEW: u8 = 0;
    const ON_THE_WAY: u8 = 1;
    const ENDS: u8 = 2;
    let mut state = vec![NEW; fat.len()];
    let mut way = Vec::new();
    for start in 0..fat.len() {
        let mut id = start;
        way.clear();
        loop {
            match state.get(id) {
                Some(&NEW) => {
                    state[id] = ON_THE_WAY;
                    way.push(id);
                    id = fat[id] as usize;
                }
                Some(&ON_THE_WAY) => {
                    return Err(format!(
                        "the chain of sectors through sector {id} is a loop"
                    ));
                }
                _ => break,
            }
        }
        for &id in &way {
            state[id] = ENDS;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A compound file of 512-byte sectors: the header (its DIFAT naming sector 0 as the FAT),
    /// then the sectors given.
    fn compound(fat: &[u32], sectors: usize) -> Vec<u8> {
        let mut bytes = vec![0u8; 512];
        bytes[..8].copy_from_slice(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
        bytes[30..32].copy_from_slice(&9u16.to_le_bytes());
        bytes[32..34].copy_from_slice(&6u16.to_le_bytes());
        bytes[68..72].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes());
        for entry in bytes[76..512].chunks_exact_mut(4) {
            entry.copy_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
        }
        bytes[76..80].copy_from_slice(&0u32.to_le_bytes());
        let mut fat_sector = vec![0xFFu8; 512];
        for (i, next) in fat.iter().enumerate() {
            fat_sector[i * 4..i * 4 + 4].copy_from_slice(&next.to_le_bytes());
        }
        bytes.extend(fat_sector);
        bytes.resize(512 * (sectors + 1), 0);
        bytes
    }

    #[test]
    fn chains_that_end_pass() {
        // 0: the FAT itself; 1 → 2 → end; 3 → end.
        let fat = [0xFFFF_FFFD, 2, 0xFFFF_FFFE, 0xFFFF_FFFE];
        assert_eq!(check(&compound(&fat, 4)), Ok(()));
    }

    #[test]
    fn a_chain_that_loops_is_refused() {
        // 1 → 2 → 3 → 1.
        let fat = [0xFFFF_FFFD, 2, 3, 1];
        let err = check(&compound(&fat, 4)).unwrap_err();
        assert!(err.contains("loop"), "{err}");
    }

    #[test]
    fn a_fat_sector_beyond_the_end_reads_as_zeros_the_second_time_and_loops() {
        // The header alone; its DIFAT names sector 0 twice (a file of two sectors may have two FAT
        // sectors). Read short, then as zeros: sector 0 links to sector 0.
        let mut bytes = compound(&[], 0);
        bytes.truncate(512);
        bytes[80..84].copy_from_slice(&0u32.to_le_bytes());
        let err = check(&bytes).unwrap_err();
        assert!(err.contains("loop"), "{err}");
    }

    #[test]
    fn a_fat_sector_named_more_often_than_the_file_has_sectors_is_refused() {
        let mut bytes = compound(&[0xFFFF_FFFD], 1);
        for entry in bytes[76..512].chunks_exact_mut(4) {
            entry.copy_from_slice(&0u32.to_le_bytes());
        }
        assert!(check(&bytes).is_err());
    }
}
