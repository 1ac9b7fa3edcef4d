#pragma once
// Errors in user input (files, flags). The CLI turns an input_error into one clear line on stderr and
// exit code 2; anything else escaping is a bug in occam.
#include <cstddef>
#include <stdexcept>
#include <string>

namespace occam {

class input_error : public std::runtime_error {
 public:
  /// `file:line: message` (line 0 means "the file as a whole": `file: message`).
  input_error(const std::string& file, std::size_t line, const std::string& message);
  /// A problem not tied to a file (a bad flag value, an inconsistent request).
  explicit input_error(const std::string& message);

  const std::string& file() const { return file_; }
  std::size_t line() const { return line_; }
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  std::size_t line_ = 0;
  std::string message_;
};

}  // namespace occam
