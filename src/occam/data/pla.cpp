// Espresso PLA reader/writer. The grammar accepted here (docs/data.md):
//   # comment            (anywhere; also trailing "# ..." after a directive or row)
//   .i N  .o M  .p P  .type fr|f|fd|r|...  .ilb names...  .ob names...  .e / .end
//   rows: "<N chars of 0 1 -> <M chars of 0 1 - ~>", separated by blanks/tabs (or written without a blank
//   when the row is exactly N+M characters long).
// Unknown directives (.phase, .pair, .kiss, ...) are an error: silently ignoring them would change meaning.
#include "occam/data/pla.hpp"

#include <fstream>
#include <istream>
#include <ostream>
#include <sstream>

#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace occam::data {
namespace {

std::string strip_comment(const std::string& line) {
  auto hash = line.find('#');
  std::string s = hash == std::string::npos ? line : line.substr(0, hash);
  // Trim (also '\r' from Windows line ends).
  auto b = s.find_first_not_of(" \t\r\n\f\v");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n\f\v");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split_ws(const std::string& s) {
  std::istringstream is(s);
  std::vector<std::string> out;
  std::string tok;
  while (is >> tok) out.push_back(tok);
  return out;
}

unsigned parse_count(const std::string& tok, const std::string& name, std::size_t line, const char* what,
                     unsigned long long max_value) {
  if (tok.empty() || tok.find_first_not_of("0123456789") != std::string::npos)
    throw input_error(name, line, std::string(what) + " expects a non-negative integer, got '" + tok + "'");
  unsigned long long v = 0;
  for (char c : tok) {
    v = v * 10 + static_cast<unsigned>(c - '0');
    if (v > max_value) throw input_error(name, line, std::string(what) + " value " + tok + " is too large");
  }
  return static_cast<unsigned>(v);
}

}  // namespace

pla_table parse_pla(std::istream& in, const std::string& name) {
  pla_table t;
  bool have_i = false, have_o = false, have_p = false, ended = false;
  std::size_t declared_p = 0, p_line = 0;
  std::string raw;
  std::size_t line_no = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    if (line_no == 1 && raw.compare(0, 3, "\xEF\xBB\xBF") == 0) raw.erase(0, 3);  // a UTF-8 byte-order mark
    std::string line = strip_comment(raw);
    if (line.empty()) continue;
    if (ended) throw input_error(name, line_no, "content after .e");
    if (line[0] == '.') {
      auto toks = split_ws(line);
      const std::string& d = toks[0];
      auto need_args = [&](std::size_t k) {
        if (toks.size() != k + 1)
          throw input_error(name, line_no, d + " expects " + std::to_string(k) + " argument(s)");
      };
      if (d == ".i" || d == ".o") {
        need_args(1);
        if (!t.inputs.empty()) throw input_error(name, line_no, d + " after the first row");
        unsigned v = parse_count(toks[1], name, line_no, d.c_str(), 1u << 20);
        if (d == ".i") {
          if (have_i) throw input_error(name, line_no, "duplicate .i");
          t.num_inputs = v;
          have_i = true;
        } else {
          if (have_o) throw input_error(name, line_no, "duplicate .o");
          if (v == 0) throw input_error(name, line_no, ".o must be at least 1");
          t.num_outputs = v;
          have_o = true;
        }
      } else if (d == ".p") {
        need_args(1);
        if (have_p) throw input_error(name, line_no, "duplicate .p");
        declared_p = parse_count(toks[1], name, line_no, ".p", 0xffffffffull);
        have_p = true;
        p_line = line_no;
      } else if (d == ".type") {
        need_args(1);
        static const char* known[] = {"f", "r", "fd", "fr", "dr", "fdr"};
        bool ok = false;
        for (auto* k : known) ok |= toks[1] == k;
        if (!ok) throw input_error(name, line_no, "unknown .type '" + toks[1] + "'");
        t.type = toks[1];
      } else if (d == ".ilb") {
        t.input_names.assign(toks.begin() + 1, toks.end());
      } else if (d == ".ob") {
        t.output_names.assign(toks.begin() + 1, toks.end());
      } else if (d == ".e" || d == ".end") {
        ended = true;
      } else {
        throw input_error(name, line_no, "unsupported directive '" + d + "'");
      }
      continue;
    }
    // A row.
    if (!have_i) throw input_error(name, line_no, "row before .i");
    if (!have_o) throw input_error(name, line_no, "row before .o");
    auto toks = split_ws(line);
    std::string cube, outs;
    if (toks.size() == 2) {
      cube = toks[0];
      outs = toks[1];
    } else if (toks.size() == 1 && toks[0].size() == std::size_t(t.num_inputs) + t.num_outputs) {
      cube = toks[0].substr(0, t.num_inputs);
      outs = toks[0].substr(t.num_inputs);
    } else if (toks.size() == 1 && t.num_inputs == 0) {
      outs = toks[0];
    } else {
      throw input_error(name, line_no,
                        "expected a row '<" + std::to_string(t.num_inputs) + " input chars> <" +
                            std::to_string(t.num_outputs) + " output chars>', got '" + line + "'");
    }
    if (cube.size() != t.num_inputs)
      throw input_error(name, line_no,
                        "input part has " + std::to_string(cube.size()) + " characters, .i says " +
                            std::to_string(t.num_inputs));
    if (outs.size() != t.num_outputs)
      throw input_error(name, line_no,
                        "output part has " + std::to_string(outs.size()) + " characters, .o says " +
                            std::to_string(t.num_outputs));
    for (std::size_t c = 0; c < cube.size(); ++c)
      if (cube[c] != '0' && cube[c] != '1' && cube[c] != '-')
        throw input_error(name, line_no,
                          std::string("bad input character '") + cube[c] + "' at column " +
                              std::to_string(c + 1) + " (expected 0, 1 or -)");
    for (std::size_t c = 0; c < outs.size(); ++c) {
      char& ch = outs[c];
      if (ch == '~') ch = '-';
      if (ch != '0' && ch != '1' && ch != '-')
        throw input_error(name, line_no,
                          std::string("bad output character '") + ch + "' at output " +
                              std::to_string(c + 1) + " (expected 0, 1, - or ~)");
    }
    t.inputs.push_back(std::move(cube));
    t.outputs.push_back(std::move(outs));
    t.source_lines.push_back(line_no);
  }
  if (line_no == 0) throw input_error(name, 0, "empty file");
  if (!have_i) throw input_error(name, 0, "missing .i");
  if (!have_o) throw input_error(name, 0, "missing .o");
  if (have_p && declared_p != t.inputs.size())
    throw input_error(name, p_line,
                      ".p declares " + std::to_string(declared_p) + " rows, the file has " +
                          std::to_string(t.inputs.size()));
  if (t.inputs.empty()) throw input_error(name, 0, "no rows");
  if (!t.input_names.empty() && t.input_names.size() != t.num_inputs)
    throw input_error(name, 0,
                      ".ilb names " + std::to_string(t.input_names.size()) + " inputs, .i says " +
                          std::to_string(t.num_inputs));
  if (!t.output_names.empty() && t.output_names.size() != t.num_outputs)
    throw input_error(name, 0,
                      ".ob names " + std::to_string(t.output_names.size()) + " outputs, .o says " +
                          std::to_string(t.num_outputs));
  return t;
}

pla_table read_pla(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error(path.string(), 0, "cannot open file");
  return parse_pla(in, path.string());
}

void write_pla(const pla_table& t, std::ostream& out) {
  if (t.inputs.size() != t.outputs.size())
    throw input_error("write_pla: table has " + std::to_string(t.inputs.size()) + " input cubes but " +
                      std::to_string(t.outputs.size()) + " output parts");
  out << ".i " << t.num_inputs << "\n.o " << t.num_outputs << "\n";
  if (!t.input_names.empty()) {
    out << ".ilb";
    for (auto& n : t.input_names) out << ' ' << n;
    out << '\n';
  }
  if (!t.output_names.empty()) {
    out << ".ob";
    for (auto& n : t.output_names) out << ' ' << n;
    out << '\n';
  }
  out << ".p " << t.inputs.size() << "\n.type " << (t.type.empty() ? "fr" : t.type) << "\n";
  for (std::size_t r = 0; r < t.inputs.size(); ++r) {
    if (t.inputs[r].size() != t.num_inputs || t.outputs[r].size() != t.num_outputs)
      throw input_error("write_pla: row " + std::to_string(r + 1) + " has the wrong width");
    if (t.num_inputs > 0) out << t.inputs[r] << ' ';
    out << t.outputs[r] << '\n';
  }
  out << ".e\n";
}

void write_pla(const pla_table& t, const std::filesystem::path& path) {
  write_file_atomic(path, [&](std::ostream& os) { write_pla(t, os); });
}

}  // namespace occam::data
