#pragma once
// Atomic output: every file occam writes goes to a temporary file in the same directory, is flushed
// and fsync'ed, then renamed over the target, so a killed run never leaves a half-written file.
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <string_view>

namespace occam {

/// Writes `path` atomically; `fill` writes the content. Creates missing parent directories.
/// Throws input_error when the directory cannot be written.
void write_file_atomic(const std::filesystem::path& path, const std::function<void(std::ostream&)>& fill,
                       bool binary = false);
void write_file_atomic(const std::filesystem::path& path, std::string_view content);

/// Appends one line (a JSON record, a CSV row) and flushes: append-only logs stay valid line by line.
void append_line(const std::filesystem::path& path, std::string_view line);

/// Reads a whole file; throws input_error naming the file when it cannot be opened.
std::string read_file(const std::filesystem::path& path);

/// Removes a file or a directory tree if it exists (errors ignored). Use this instead of
/// std::filesystem::remove_all: PyTorch's pip libtorch.so exports its own, broken copy of remove_all, which
/// the dynamic linker binds first in any program linking it (a call through a null pointer, seen with
/// torch 2.11).
void remove_tree(const std::filesystem::path& path) noexcept;

}  // namespace occam
