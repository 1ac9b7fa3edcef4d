#pragma once
// Circuit files: AIGER 1.9 ASCII (.aag) and binary (.aig) read and write, BLIF and Verilog write, and the
// truth table as a PLA (.pla). Readers check everything and throw occam::input_error naming the file and the
// line (text parts) or the byte offset (the binary AND section): truncated files, out-of-range or undefined
// literals, cycles, header counts that disagree with the content, latches ("sequential AIGs not supported").
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <string_view>

#include "occam/circuit/aig.hpp"

namespace occam::circuit {

struct aiger_read_params {
  /// Largest input count accepted in a binary file, where inputs take no bytes (a guard against a
  /// 20-byte file asking for billions of nodes).
  std::uint64_t max_binary_inputs = std::uint64_t(1) << 22;
};

/// Parses AIGER text or binary (chosen by the header's "aag"/"aig"); `name` is used in error messages.
/// AND nodes go through create_and, so the result is structurally hashed (as ABC's reader does).
aig parse_aiger(std::string_view content, const std::string& name, const aiger_read_params& params = {});
aig read_aiger(const std::filesystem::path& path, const aiger_read_params& params = {});

/// Writers renumber the nodes AIGER's way (inputs 1..I, then the ANDs in topological order) and write
/// every stored AND (use cleanup() first to drop dangling ones); names go to the symbol table, the
/// comment to the comment section.
void write_aiger_ascii(const aig& g, std::ostream& out);
void write_aiger_binary(const aig& g, std::ostream& out);
void write_blif(const aig& g, std::ostream& out, const std::string& model = "occam");
void write_verilog(const aig& g, std::ostream& out, const std::string& module = "occam");

/// The full truth table as a PLA (type fr, one row per minterm; at most `max_inputs` inputs, ≤ 20).
void write_pla_truth_table(const aig& g, std::ostream& out, unsigned max_inputs = 16);

/// Reads .aag / .aig (the header decides), or a .pla as a sum of products of its on-set rows (each output
/// is the OR of the cubes whose output bit is 1 — exact on every row of an fr/f table without conflicts).
aig read_circuit(const std::filesystem::path& path);
/// Writes by extension: .aag .aig .blif .v .pla (truth table, ≤ 16 inputs). Atomic.
void write_circuit(const aig& g, const std::filesystem::path& path);

}  // namespace occam::circuit
