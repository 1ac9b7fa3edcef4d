#pragma once
// Espresso PLA tables (.i .o .p .type fr, .ilb/.ob, .e). Torch-free; the data module turns a pla_table into
// a data set, the circuit module writes circuits' truth tables as PLA.
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

namespace occam::data {

struct pla_table {
  unsigned num_inputs = 0;
  unsigned num_outputs = 0;
  std::string type = "fr";                ///< as declared by .type (default "fr")
  std::vector<std::string> input_names;   ///< .ilb, empty if absent
  std::vector<std::string> output_names;  ///< .ob, empty if absent
  std::vector<std::string> inputs;        ///< one cube per row, num_inputs chars of '0' '1' '-'
  std::vector<std::string> outputs;       ///< one per row, num_outputs chars of '0' '1' '-' ('~' read as '-')
  std::vector<std::size_t> source_lines;  ///< 1-based line of each row in the file it came from
};

/// Parses a PLA; `name` is used in errors ("name:line: problem"). Throws occam::input_error on a bad
/// header, wrong row width, bad character, .p disagreeing with the row count, or no rows.
pla_table parse_pla(std::istream& in, const std::string& name);
pla_table read_pla(const std::filesystem::path& path);
/// Writes atomically (occam/util/atomic_file.hpp).
void write_pla(const pla_table& t, const std::filesystem::path& path);
void write_pla(const pla_table& t, std::ostream& out);

}  // namespace occam::data
