#pragma once
// Atomic output: every file occam writes goes to a temporary file in the same directory, is flushed
// and fsync'ed, then renamed over the target, so a killed run never leaves a half-written file.
//
// Write errors (a full disk, a quota, a file-size limit, an I/O error) and exceptions thrown while the
// content is produced (libtorch's c10::Error from a serialiser, say) end as an input_error naming the target
// (exit code 2 in the CLI), and the temporary file is removed. The target is never a device node, FIFO,
// socket or directory: those are refused, not replaced.
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <string_view>

namespace occam {

/// Writes `path` atomically; `fill` writes the content. Creates missing parent directories.
/// Throws input_error naming `path` when the directory cannot be created or written, when a write fails
/// (disk full: the temporary file is removed and an existing target is left untouched), when `fill` throws,
/// or when `path` exists and is not a regular file (or a symbolic link to one).
void write_file_atomic(const std::filesystem::path& path, const std::function<void(std::ostream&)>& fill,
                       bool binary = false);
void write_file_atomic(const std::filesystem::path& path, std::string_view content);

/// Appends one line (a JSON record, a CSV row) and flushes: append-only logs stay valid line by line. A
/// failed write is undone (the file is truncated back) and throws input_error naming the file.
void append_line(const std::filesystem::path& path, std::string_view line);

/// Creates `dir` and its missing parents; throws input_error naming the path when that fails or when `dir`
/// exists and is not a directory (an output directory given as a file, under /proc or a read-only mount).
void create_output_directory(const std::filesystem::path& dir);

/// Throws input_error naming `path` when it exists and is not a regular file (a device node, FIFO, socket or
/// directory): outputs must never replace such a thing. Commands may call it before long work.
void check_output_file(const std::filesystem::path& path);

/// Reads a whole file; throws input_error naming the file when it cannot be opened.
std::string read_file(const std::filesystem::path& path);

/// Removes a file or a directory tree if it exists (errors ignored). Use this instead of
/// std::filesystem::remove_all: PyTorch's pip libtorch.so exports its own, broken copy of remove_all, which
/// the dynamic linker binds first in any program linking it (a call through a null pointer, seen with
/// torch 2.11).
void remove_tree(const std::filesystem::path& path) noexcept;

}  // namespace occam
