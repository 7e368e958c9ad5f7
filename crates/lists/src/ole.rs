//! The container an XLS lives in (OLE, the Compound File Binary format of MS-CFB), read as calamine
//! reads it, before calamine does.
//!
//! A compound file is a chain of sectors per stream, linked through the file allocation table
//! (FAT). calamine follows those chains without noticing a loop, and the directory's chain without
//! a length: a damaged file whose FAT links a sector back to itself makes it read the same sector
//! again and again until memory runs out (found by `fuzz/`'s `lists_workbook`: 512 bytes, a header
//! alone), and a DIFAT that lists one FAT sector over and over makes its FAT larger than memory.
//! Both are refused here. Then the workbook stream is read the same way, for [`crate::xls`] to
//! check what calamine would make of it.
//!
//! Everything is read exactly as calamine 0.38 reads it (`calamine/src/cfb.rs`): the header's 109
//! DIFAT entries, the DIFAT sectors after it, each FAT sector they name; the directory's chain, the
//! mini stream and the mini FAT when the header has one; a stream of less than 4096 bytes from the
//! mini stream. A sector beyond the end of the file reads short the first time and as zeros after
//! that (calamine keeps what it read in a buffer that it pads with zeros), and a mini sector beyond
//! the mini stream goes on reading the file where the last read stopped. Where calamine fails by
//! itself (a short header, an unknown sector size, a sector beyond the file, a missing stream),
//! [`Container::Unread`] says so and calamine is left to refuse the file.

/// Sector ids from here on are markers (DIFAT sector, FAT sector, end of chain, free).
const MAX_REGULAR: u32 = 0xFFFF_FFFA;
const DIFSECT: u32 = 0xFFFF_FFFC;
const END_OF_CHAIN: u32 = 0xFFFF_FFFE;

/// What the container holds, as far as it matters before calamine reads it.
#[derive(Debug, PartialEq)]
pub enum Container {
    /// The workbook stream (`Workbook`, else `Book`).
    Workbook(Vec<u8>),
    /// calamine cannot read the container or finds no workbook in it: it refuses the file itself.
    Unread,
}

fn u32s(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// calamine failed (an error or a panic, which it refuses the file for).
struct Failed;

/// Sectors as calamine reads them: from a buffer filled from the file as far as asked, padded
/// with zeros beyond its end.
struct Sectors {
    data: Vec<u8>,
    size: usize,
    max_id: usize,
}

impl Sectors {
    fn get(&mut self, id: u32, file: &mut &[u8]) -> Result<&[u8], Failed> {
        let id = id as usize;
        if id > self.max_id {
            return Err(Failed);
        }
        let start = id * self.size;
        let end = start + self.size;
        if end > self.data.len() {
            let read = file.len().min(end - self.data.len());
            self.data.extend_from_slice(&file[..read]);
            *file = &file[read..];
            let filled = self.data.len();
            self.data.resize(end, 0);
            if filled < end {
                return self.data.get(start..filled).ok_or(Failed);
            }
        }
        self.data.get(start..end).ok_or(Failed)
    }

    /// A chain of sectors through `fat`, at most `len` bytes. `steps` bounds the walk (the FAT has
    /// no loops by then; a mini FAT's loop ends at `len`, which is below 4096 there).
    fn chain(
        &mut self,
        mut id: u32,
        fat: &[u32],
        file: &mut &[u8],
        len: usize,
        steps: usize,
    ) -> Result<Vec<u8>, Failed> {
        let mut chain = Vec::new();
        let mut taken = 0;
        while id != END_OF_CHAIN {
            let sector = self.get(id, file)?;
            let take = sector.len().min(len - chain.len());
            chain.extend_from_slice(&sector[..take]);
            if chain.len() >= len {
                break;
            }
            taken += 1;
            if taken > steps {
                return Err(Failed);
            }
            id = *fat.get(id as usize).ok_or(Failed)?;
        }
        Ok(chain)
    }
}

/// A directory entry: its name, first sector and length.
struct Entry {
    name: String,
    start: u32,
    len: usize,
}

/// Reads the compound file; an error names what makes it unsafe to hand to calamine.
pub fn read(bytes: &[u8]) -> Result<Container, String> {
    let Some(header) = bytes.get(..512) else {
        return Ok(Container::Unread);
    };
    let size: usize = match u16::from_le_bytes([header[30], header[31]]) {
        0x0009 => 512,
        0x000C => 4096,
        _ => return Ok(Container::Unread),
    };
    if u16::from_le_bytes([header[32], header[33]]) != 6 {
        return Ok(Container::Unread);
    }
    let Some(mut file) = bytes.get(size..) else {
        return Ok(Container::Unread);
    };
    let field = |at| u32_at(header, at).unwrap_or(0);
    let version = u16::from_le_bytes([header[26], header[27]]);
    let (dir_start, mini_fat_start) = (field(48), field(60));
    let mini_fat_len = field(64) as usize;
    // calamine's highest sector id: the file's length in sectors, the header included.
    let max_id = bytes.len() / size;
    let mut sectors = Sectors {
        data: Vec::new(),
        size,
        max_id,
    };

    let mut difat: Vec<u32> = u32s(&header[76..512]).collect();
    let mut id = field(68);
    let mut difat_sectors = 0usize;
    while id < MAX_REGULAR {
        difat_sectors += 1;
        if difat_sectors > max_id + 1 {
            return Ok(Container::Unread);
        }
        let Ok(data) = sectors.get(id, &mut file) else {
            return Ok(Container::Unread);
        };
        difat.extend(u32s(data));
        match difat.pop() {
            Some(next) => id = next,
            None => return Ok(Container::Unread),
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
        let Ok(data) = sectors.get(id, &mut file) else {
            return Ok(Container::Unread);
        };
        if data.len() % 4 != 0 {
            return Ok(Container::Unread);
        }
        fat.extend(u32s(data));
    }
    no_loops(&fat)?;

    // From here every chain through the FAT ends within its length.
    let Ok(directory) = sectors.chain(dir_start, &fat, &mut file, usize::MAX, fat.len()) else {
        return Ok(Container::Unread);
    };
    let entries: Vec<Entry> = directory
        .chunks_exact(128)
        .map(|entry| {
            let mut name = encoding_rs::UTF_16LE.decode(&entry[..64]).0.into_owned();
            if let Some(end) = name.as_bytes().iter().position(|b| *b == 0) {
                name.truncate(end);
            }
            let start = u32_at(entry, 116).unwrap_or(0);
            let len = if size == 512 {
                u32_at(entry, 120).unwrap_or(0) as usize
            } else {
                entry[120..128]
                    .iter()
                    .rev()
                    .fold(0u64, |n, b| n << 8 | u64::from(*b)) as usize
            };
            Entry { name, start, len }
        })
        .collect();
    let Some(root) = entries.first() else {
        return Ok(Container::Unread);
    };
    if version != 3 && root.start == END_OF_CHAIN {
        return Ok(Container::Unread);
    }
    let (mini_fat, mini_stream) = if mini_fat_len > 0 {
        let Ok(stream) = sectors.chain(root.start, &fat, &mut file, root.len, fat.len()) else {
            return Ok(Container::Unread);
        };
        let Ok(mini_fat) = sectors.chain(
            mini_fat_start,
            &fat,
            &mut file,
            mini_fat_len.saturating_mul(size),
            fat.len(),
        ) else {
            return Ok(Container::Unread);
        };
        if mini_fat.len() % 4 != 0 {
            return Ok(Container::Unread);
        }
        (u32s(&mini_fat).collect::<Vec<u32>>(), stream)
    } else {
        (Vec::new(), Vec::new())
    };
    let mut mini_sectors = Sectors {
        data: mini_stream,
        size: 64,
        max_id: max_id * 8,
    };

    let mut stream = |name: &str| -> Result<Vec<u8>, Failed> {
        let entry = entries
            .iter()
            .find(|e| e.name.as_bytes().eq_ignore_ascii_case(name.as_bytes()))
            .ok_or(Failed)?;
        if entry.len < 4096 {
            // Each step adds a mini sector (after a first short read): 4096 bytes are 64 of them.
            let steps = mini_sectors.max_id + 4096;
            mini_sectors.chain(entry.start, &mini_fat, &mut file, entry.len, steps)
        } else {
            sectors.chain(entry.start, &fat, &mut file, entry.len, fat.len())
        }
    };
    Ok(match stream("Workbook").or_else(|_| stream("Book")) {
        Ok(workbook) => Container::Workbook(workbook),
        Err(Failed) => Container::Unread,
    })
}

/// Following the FAT from any sector never comes back to a sector already on the way (a marker,
/// or an id beyond the table, ends a chain).
fn no_loops(fat: &[u32]) -> Result<(), String> {
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
        assert_eq!(read(&compound(&fat, 4)), Ok(Container::Unread));
    }

    #[test]
    fn a_chain_that_loops_is_refused() {
        // 1 → 2 → 3 → 1.
        let fat = [0xFFFF_FFFD, 2, 3, 1];
        let err = read(&compound(&fat, 4)).unwrap_err();
        assert!(err.contains("loop"), "{err}");
    }

    #[test]
    fn a_fat_sector_beyond_the_end_reads_as_zeros_the_second_time_and_loops() {
        // The header alone; its DIFAT names sector 0 twice (a file of two sectors may have two FAT
        // sectors). Read short, then as zeros: sector 0 links to sector 0.
        let mut bytes = compound(&[], 0);
        bytes.truncate(512);
        bytes[80..84].copy_from_slice(&0u32.to_le_bytes());
        let err = read(&bytes).unwrap_err();
        assert!(err.contains("loop"), "{err}");
    }

    #[test]
    fn a_fat_sector_named_more_often_than_the_file_has_sectors_is_refused() {
        let mut bytes = compound(&[0xFFFF_FFFD], 1);
        for entry in bytes[76..512].chunks_exact_mut(4) {
            entry.copy_from_slice(&0u32.to_le_bytes());
        }
        assert!(read(&bytes).is_err());
    }
}
