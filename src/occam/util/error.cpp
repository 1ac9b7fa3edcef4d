#include "occam/util/error.hpp"

namespace occam {
namespace {
std::string format_location(const std::string& file, std::size_t line, const std::string& message) {
  if (file.empty()) return message;
  if (line == 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ": " + message;
}
}  // namespace

input_error::input_error(const std::string& file, std::size_t line, const std::string& message)
    : std::runtime_error(format_location(file, line, message)), file_(file), line_(line), message_(message) {}

input_error::input_error(const std::string& message) : std::runtime_error(message), message_(message) {}

}  // namespace occam
