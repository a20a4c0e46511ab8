//! Packing a release: a gzipped tar whose single top folder is named after the archive, and
//! its SHA-256 in a `sha256sum`-style file beside it.
//!
//! The archive is reproducible: entries in sorted order, owned by root, with fixed modes and
//! one timestamp, so the same inputs give the same bytes and the same checksum.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};
use tar::{EntryType, Header};

/// What goes into one archive, each source with its path inside the archive's top folder.
#[derive(Debug)]
pub(crate) struct Contents {
    /// Binaries, packed under `bin/` and made executable.
    pub(crate) binaries: Vec<(String, PathBuf)>,
    /// Files and folders (packed whole), with their path in the archive.
    pub(crate) files: Vec<(PathBuf, String)>,
}

/// An archive written to disk.
#[derive(Debug)]
pub(crate) struct Archive {
    pub(crate) path: PathBuf,
    pub(crate) checksum_path: PathBuf,
    pub(crate) sha256: String,
    pub(crate) size: u64,
}

/// Writes `OUT_DIR/STEM.tar.gz` and `OUT_DIR/STEM.tar.gz.sha256`, with every entry stamped
/// `mtime` (seconds since the epoch).
pub(crate) fn pack(
    contents: &Contents,
    out_dir: &Path,
    stem: &str,
    mtime: u64,
) -> anyhow::Result<Archive> {
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let path = out_dir.join(format!("{stem}.tar.gz"));

    // Written aside and renamed, so a failed run never leaves a truncated archive behind.
    let partial = out_dir.join(format!(".{stem}.tar.gz.partial"));
    write_archive(contents, &partial, stem, mtime)
        .with_context(|| format!("cannot write {}", path.display()))?;
    std::fs::rename(&partial, &path)?;

    let sha256 = sha256_of(&path)?;
    let checksum_path = out_dir.join(format!("{stem}.tar.gz.sha256"));
    std::fs::write(&checksum_path, format!("{sha256}  {stem}.tar.gz\n"))
        .with_context(|| format!("cannot write {}", checksum_path.display()))?;

    let size = std::fs::metadata(&path)?.len();
    Ok(Archive {
        path,
        checksum_path,
        sha256,
        size,
    })
}

fn write_archive(contents: &Contents, path: &Path, top: &str, mtime: u64) -> anyhow::Result<()> {
    let file = BufWriter::new(File::create(path)?);
    let mut tar = tar::Builder::new(GzEncoder::new(file, Compression::best()));
    let stamp = Stamp { mtime };

    stamp.folder(&mut tar, top)?;
    stamp.folder(&mut tar, &format!("{top}/bin"))?;
    for (name, source) in &contents.binaries {
        stamp.file(&mut tar, source, &format!("{top}/bin/{name}"), 0o755)?;
    }
    for (source, inside) in &contents.files {
        stamp.tree(&mut tar, source, &format!("{top}/{inside}"))?;
    }

    let mut file = tar.into_inner()?.finish()?;
    file.flush()?;
    Ok(())
}

/// Adds entries with normalized headers.
struct Stamp {
    mtime: u64,
}

impl Stamp {
    fn header(&self, kind: EntryType, mode: u32, size: u64) -> Header {
        let mut header = Header::new_gnu();
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_size(size);
        header.set_mtime(self.mtime);
        header.set_uid(0);
        header.set_gid(0);
        header
    }

    fn folder<W: Write>(&self, tar: &mut tar::Builder<W>, inside: &str) -> anyhow::Result<()> {
        let mut header = self.header(EntryType::Directory, 0o755, 0);
        tar.append_data(&mut header, format!("{inside}/"), std::io::empty())?;
        Ok(())
    }

    fn file<W: Write>(
        &self,
        tar: &mut tar::Builder<W>,
        source: &Path,
        inside: &str,
        mode: u32,
    ) -> anyhow::Result<()> {
        let file =
            File::open(source).with_context(|| format!("cannot read {}", source.display()))?;
        let size = file.metadata()?.len();
        let mut header = self.header(EntryType::Regular, mode, size);
        tar.append_data(&mut header, inside, file)?;
        Ok(())
    }

    /// A file, or a folder with everything under it in name order.
    fn tree<W: Write>(
        &self,
        tar: &mut tar::Builder<W>,
        source: &Path,
        inside: &str,
    ) -> anyhow::Result<()> {
        let metadata = std::fs::metadata(source)
            .with_context(|| format!("cannot read {}", source.display()))?;
        if metadata.is_file() {
            return self.file(tar, source, inside, 0o644);
        }
        if !metadata.is_dir() {
            bail!("{} is neither a file nor a folder", source.display());
        }

        self.folder(tar, inside)?;
        let mut children = std::fs::read_dir(source)?
            .map(|entry| entry.map(|entry| entry.file_name()))
            .collect::<Result<Vec<_>, _>>()?;
        children.sort();
        for child in children {
            let name = child
                .to_str()
                .with_context(|| format!("{} has a name that is not UTF-8", source.display()))?;
            self.tree(tar, &source.join(name), &format!("{inside}/{name}"))?;
        }
        Ok(())
    }
}

/// The SHA-256 of the file at `path`, in lowercase hex.
pub(crate) fn sha256_of(path: &Path) -> anyhow::Result<String> {
    let mut file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
