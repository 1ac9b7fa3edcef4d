// AIGER (https://fmv.jku.at/aiger/FORMAT) reader/writer, BLIF and Verilog writers, PLA truth tables.
// The reader never trusts the header: every count is checked against the content before anything is
// allocated from it, so a fuzzed file gives an input_error, not a crash or a huge allocation.
#include "occam/circuit/io.hpp"

#include <algorithm>
#include <fstream>
#include <ostream>
#include <set>
#include <sstream>
#include <unordered_map>

#include "occam/circuit/simulate.hpp"
#include "occam/data/pla.hpp"
#include "occam/util/atomic_file.hpp"
#include "occam/util/error.hpp"

namespace occam::circuit {
namespace {

// ------------------------------------------------------------------------------------------------
// Reading
// ------------------------------------------------------------------------------------------------

class cursor {
 public:
  cursor(std::string_view s, const std::string& name) : s_(s), name_(name) {}

  [[noreturn]] void fail(const std::string& msg) const {
    if (in_binary_) throw input_error(name_, 0, "byte " + std::to_string(pos_) + ": " + msg);
    throw input_error(name_, line_, msg);
  }
  [[noreturn]] void fail_at_line(std::size_t line, const std::string& msg) const {
    if (in_binary_) fail(msg);
    throw input_error(name_, line, msg);
  }

  bool at_end() const { return pos_ >= s_.size(); }
  std::size_t line() const { return line_; }
  std::size_t pos() const { return pos_; }
  std::size_t remaining() const { return s_.size() - pos_; }
  void set_binary(bool b) { in_binary_ = b; }

  void skip_blanks() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }
  /// An unsigned decimal number (< 2^32) preceded by optional blanks.
  std::uint64_t number(const char* what) {
    skip_blanks();
    if (at_end()) fail(std::string("unexpected end of file, expected ") + what);
    if (s_[pos_] < '0' || s_[pos_] > '9')
      fail(std::string("expected ") + what + ", found " + describe_here());
    std::uint64_t v = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      v = v * 10 + std::uint64_t(s_[pos_] - '0');
      if (v > 0xFFFFFFFFull) fail(std::string(what) + " is too large");
      ++pos_;
    }
    return v;
  }
  bool at_line_end() {
    skip_blanks();
    return at_end() || s_[pos_] == '\n' || s_[pos_] == '\r';
  }
  /// Consumes the end of the line (blanks, optional '\r', '\n'); end of file also ends a line.
  void end_line() {
    skip_blanks();
    if (pos_ < s_.size() && s_[pos_] == '\r') ++pos_;
    if (at_end()) return;
    if (s_[pos_] != '\n') fail("unexpected " + describe_here() + " at the end of the line");
    ++pos_;
    ++line_;
  }
  std::string_view rest_of_line() {
    std::size_t e = s_.find('\n', pos_);
    if (e == std::string_view::npos) e = s_.size();
    std::string_view r = s_.substr(pos_, e - pos_);
    if (!r.empty() && r.back() == '\r') r.remove_suffix(1);
    pos_ = e < s_.size() ? e + 1 : e;
    ++line_;
    return r;
  }
  std::string_view rest() {
    std::string_view r = s_.substr(pos_);
    pos_ = s_.size();
    return r;
  }
  std::string_view word() {
    skip_blanks();
    std::size_t b = pos_;
    while (pos_ < s_.size() && s_[pos_] != ' ' && s_[pos_] != '\t' && s_[pos_] != '\n' && s_[pos_] != '\r')
      ++pos_;
    return s_.substr(b, pos_ - b);
  }
  unsigned char byte() {
    if (at_end()) fail("unexpected end of file in the binary AND section (truncated file)");
    return static_cast<unsigned char>(s_[pos_++]);
  }
  std::string describe_here() const {
    if (at_end()) return "end of file";
    unsigned char c = static_cast<unsigned char>(s_[pos_]);
    if (c == '\n') return "end of line";
    if (c >= 32 && c < 127) return std::string("'") + char(c) + "'";
    return "byte 0x" + hex(c);
  }
  static std::string hex(unsigned char c) {
    const char* d = "0123456789abcdef";
    return std::string{d[c >> 4], d[c & 15]};
  }

 private:
  std::string_view s_;
  const std::string& name_;
  std::size_t pos_ = 0, line_ = 1;
  bool in_binary_ = false;
};

struct header {
  bool binary = false;
  std::uint64_t M = 0, I = 0, L = 0, O = 0, A = 0;
};

/// Binary AND deltas: 7 bits per byte, high bit = more bytes follow.
std::uint32_t read_varint(cursor& c) {
  std::uint64_t x = 0;
  for (unsigned shift = 0;; shift += 7) {
    if (shift > 28) c.fail("binary number longer than 5 bytes");
    unsigned char b = c.byte();
    x |= std::uint64_t(b & 0x7f) << shift;
    if (x > 0xFFFFFFFFull) c.fail("binary number does not fit 32 bits");
    if (!(b & 0x80)) break;
  }
  return static_cast<std::uint32_t>(x);
}

struct symbols {
  std::vector<std::string> in, out;
  std::string comment;
  void apply(aig& g) const {
    for (std::size_t i = 0; i < in.size(); ++i) g.set_pi_name(i, in[i]);
    for (std::size_t i = 0; i < out.size(); ++i) g.set_po_name(i, out[i]);
    g.comment = comment;
  }
};

symbols read_symbols(cursor& c, const header& h) {
  symbols sym;
  sym.in.resize(h.I);
  sym.out.resize(h.O);
  std::vector<bool> named_in(h.I, false), named_out(h.O, false);
  while (!c.at_end()) {
    std::size_t line = c.line();
    std::string_view text = c.rest_of_line();
    if (text.empty()) continue;
    char kind = text[0];
    if (kind == 'c' && (text.size() == 1 || text[1] == ' ' || text[1] == '\t' || text[1] == '\r')) {
      // The comment section: the rest of the file, byte for byte (minus the final newline), so that
      // writing it back reproduces it exactly.
      std::string comment;
      if (text.size() > 1) comment = std::string(text.substr(2)) + '\n';
      comment += std::string(c.rest());
      if (!comment.empty() && comment.back() == '\n') comment.pop_back();
      sym.comment = comment;
      return sym;
    }
    if (kind != 'i' && kind != 'o' && kind != 'l' && kind != 'b' && kind != 'c' && kind != 'j' && kind != 'f')
      c.fail_at_line(line,
                     "expected a symbol ('i<k> name', 'o<k> name') or the comment section 'c', found '" +
                         std::string(text.substr(0, 20)) + "'");
    std::size_t k = 1;
    std::uint64_t index = 0;
    if (k >= text.size() || text[k] < '0' || text[k] > '9')
      c.fail_at_line(line, std::string("symbol line needs a position after '") + kind + "'");
    while (k < text.size() && text[k] >= '0' && text[k] <= '9') {
      index = index * 10 + std::uint64_t(text[k] - '0');
      if (index > 0xFFFFFFFFull) c.fail_at_line(line, "symbol position too large");
      ++k;
    }
    if (k >= text.size() || text[k] != ' ')
      c.fail_at_line(line, "symbol line needs ' name' after the position");
    std::string nm(text.substr(k + 1));
    if (nm.empty()) c.fail_at_line(line, "empty symbol name");
    if (kind == 'i') {
      if (index >= h.I)
        c.fail_at_line(line, "input symbol i" + std::to_string(index) + " but there are " +
                                 std::to_string(h.I) + " inputs");
      if (named_in[index]) c.fail_at_line(line, "input " + std::to_string(index) + " named twice");
      named_in[index] = true;
      sym.in[index] = nm;
    } else if (kind == 'o') {
      if (index >= h.O)
        c.fail_at_line(line, "output symbol o" + std::to_string(index) + " but there are " +
                                 std::to_string(h.O) + " outputs");
      if (named_out[index]) c.fail_at_line(line, "output " + std::to_string(index) + " named twice");
      named_out[index] = true;
      sym.out[index] = nm;
    } else {
      c.fail_at_line(line, std::string("symbol '") + kind + std::to_string(index) +
                               "' refers to an element this file does not have");
    }
  }
  return sym;
}

header read_header(cursor& c) {
  header h;
  std::string_view magic = c.word();
  if (magic == "aag")
    h.binary = false;
  else if (magic == "aig")
    h.binary = true;
  else
    c.fail("not an AIGER file (expected header 'aag M I L O A' or 'aig M I L O A')");
  h.M = c.number("M (maximum variable index)");
  h.I = c.number("I (number of inputs)");
  h.L = c.number("L (number of latches)");
  h.O = c.number("O (number of outputs)");
  h.A = c.number("A (number of AND gates)");
  const char* extra[] = {"B (bad-state properties)", "C (invariant constraints)", "J (justice properties)",
                         "F (fairness constraints)"};
  for (const char* what : extra) {
    if (c.at_line_end()) break;
    std::uint64_t v = c.number(what);
    if (v != 0)
      c.fail(std::string("AIGER 1.9 ") + what + " are not supported (header has " + std::to_string(v) + ")");
  }
  if (h.L != 0)
    c.fail("sequential AIGs not supported (the header declares " + std::to_string(h.L) + " latches)");
  if (h.I + h.L + h.A > h.M)
    c.fail("header counts disagree: I + L + A = " + std::to_string(h.I + h.L + h.A) +
           " exceeds M = " + std::to_string(h.M));
  if (h.M >= (std::uint64_t(1) << 30))
    c.fail("M = " + std::to_string(h.M) + " is too large (limit 2^30 - 1)");
  c.end_line();
  return h;
}

// The output section, one literal a line; identical in the ASCII and binary formats.
std::vector<std::uint32_t> read_output_literals(cursor& c, const header& h, std::uint64_t max_lit,
                                                std::vector<std::size_t>& out_line) {
  std::vector<std::uint32_t> out_lit(h.O);
  out_line.assign(h.O, 0);
  for (std::uint64_t i = 0; i < h.O; ++i) {
    if (c.at_end())
      c.fail("file ends after " + std::to_string(i) + " of " + std::to_string(h.O) + " outputs");
    out_line[i] = c.line();
    std::uint64_t lit = c.number("an output literal");
    if (lit > max_lit)
      c.fail("output literal " + std::to_string(lit) + " exceeds 2M+1 = " + std::to_string(max_lit));
    out_lit[i] = std::uint32_t(lit);
    c.end_line();
  }
  return out_lit;
}

aig parse_ascii(cursor& c, const header& h, const std::string& name) {
  // Each input, output and AND takes a line of at least 2 bytes: check before reserving anything.
  if (h.I + h.O + h.A > c.remaining())
    c.fail("header declares " + std::to_string(h.I + h.O + h.A) +
           " input/output/AND lines but the file is shorter");
  const std::uint64_t max_lit = 2 * h.M + 1;
  struct def {
    bool is_and;
    std::uint32_t index;
  };
  std::unordered_map<std::uint32_t, def> defs;
  defs.reserve(h.I + h.A);
  std::vector<std::size_t> input_line(h.I);
  aig g;
  std::vector<literal> pi_lits(h.I);
  for (std::uint64_t i = 0; i < h.I; ++i) {
    if (c.at_end()) c.fail("file ends after " + std::to_string(i) + " of " + std::to_string(h.I) + " inputs");
    std::uint64_t lit = c.number("an input literal");
    if (lit & 1u) c.fail("input literal " + std::to_string(lit) + " is odd (complemented)");
    if (lit < 2) c.fail("input literal " + std::to_string(lit) + " is a constant");
    if (lit > max_lit)
      c.fail("input literal " + std::to_string(lit) + " exceeds 2M+1 = " + std::to_string(max_lit));
    if (!defs.emplace(std::uint32_t(lit >> 1), def{false, std::uint32_t(i)}).second)
      c.fail("variable " + std::to_string(lit >> 1) + " defined twice");
    pi_lits[i] = g.create_pi();
    c.end_line();
  }
  std::vector<std::size_t> out_line;
  const std::vector<std::uint32_t> out_lit = read_output_literals(c, h, max_lit, out_line);
  std::vector<std::uint32_t> and_rhs0(h.A), and_rhs1(h.A);
  std::vector<std::size_t> and_line(h.A);
  for (std::uint64_t i = 0; i < h.A; ++i) {
    if (c.at_end())
      c.fail("file ends after " + std::to_string(i) + " of " + std::to_string(h.A) + " AND gates");
    and_line[i] = c.line();
    std::uint64_t lhs = c.number("an AND literal");
    std::uint64_t r0 = c.number("an AND fan-in literal");
    std::uint64_t r1 = c.number("an AND fan-in literal");
    if (lhs & 1u) c.fail("AND literal " + std::to_string(lhs) + " is odd (complemented)");
    if (lhs < 2) c.fail("AND literal " + std::to_string(lhs) + " is a constant");
    for (std::uint64_t l : {lhs, r0, r1})
      if (l > max_lit) c.fail("literal " + std::to_string(l) + " exceeds 2M+1 = " + std::to_string(max_lit));
    if (!defs.emplace(std::uint32_t(lhs >> 1), def{true, std::uint32_t(i)}).second)
      c.fail("variable " + std::to_string(lhs >> 1) + " defined twice");
    and_rhs0[i] = std::uint32_t(r0);
    and_rhs1[i] = std::uint32_t(r1);
    c.end_line();
  }
  symbols sym = read_symbols(c, h);

  // Build the ANDs in a topological order (depth-first from each AND in file order), detecting cycles
  // and undefined variables.
  constexpr literal unset = aig::pi_marker;
  std::vector<literal> value(h.A, unset);
  std::vector<char> state(h.A, 0);  // 0 new, 1 on the stack, 2 built
  // The literal in `g` for file literal `lit` referenced at `line`; -1 when it is an AND not built yet.
  auto lookup = [&](std::uint32_t lit, std::size_t line, std::uint32_t* pending_and) -> literal {
    std::uint32_t var = lit >> 1;
    if (var == 0) return lit & 1u;
    auto it = defs.find(var);
    if (it == defs.end())
      c.fail_at_line(line, "literal " + std::to_string(lit) + " uses variable " + std::to_string(var) +
                               ", which is neither an input nor an AND gate");
    if (!it->second.is_and) return lit_not_cond(pi_lits[it->second.index], lit & 1u);
    std::uint32_t j = it->second.index;
    if (state[j] == 2) return lit_not_cond(value[j], lit & 1u);
    *pending_and = j;
    return unset;
  };
  std::vector<std::uint32_t> stack;
  for (std::uint32_t root = 0; root < h.A; ++root) {
    if (state[root] == 2) continue;
    stack.push_back(root);
    state[root] = 1;
    while (!stack.empty()) {
      std::uint32_t t = stack.back();
      std::uint32_t pending = 0;
      literal a = lookup(and_rhs0[t], and_line[t], &pending);
      if (a == unset) {
        if (state[pending] == 1)
          c.fail_at_line(and_line[t], "cycle: this AND gate depends on itself through its fan-in");
        state[pending] = 1;
        stack.push_back(pending);
        continue;
      }
      literal b = lookup(and_rhs1[t], and_line[t], &pending);
      if (b == unset) {
        if (state[pending] == 1) c.fail_at_line(and_line[t], "cycle through this AND gate");
        state[pending] = 1;
        stack.push_back(pending);
        continue;
      }
      value[t] = g.create_and(a, b);
      state[t] = 2;
      stack.pop_back();
    }
  }
  for (std::uint64_t i = 0; i < h.O; ++i) {
    std::uint32_t pending = 0;
    literal f = lookup(out_lit[i], out_line[i], &pending);
    g.create_po(f);
  }
  (void)name;
  sym.apply(g);
  return g;
}

aig parse_binary(cursor& c, const header& h, const aiger_read_params& params) {
  if (h.M != h.I + h.L + h.A)
    c.fail("binary AIGER needs M = I + L + A, the header has M = " + std::to_string(h.M) +
           " and I + L + A = " + std::to_string(h.I + h.L + h.A));
  if (h.I > params.max_binary_inputs)
    c.fail(std::to_string(h.I) + " inputs exceed the reader's limit of " +
           std::to_string(params.max_binary_inputs));
  if (2 * h.O + 2 * h.A > c.remaining())
    c.fail("header declares " + std::to_string(h.O) + " outputs and " + std::to_string(h.A) +
           " AND gates but the file is too short to hold them (truncated file?)");
  const std::uint64_t max_lit = 2 * h.M + 1;
  aig g;
  for (std::uint64_t i = 0; i < h.I; ++i) g.create_pi();
  std::vector<std::size_t> out_line;
  const std::vector<std::uint32_t> out_lit = read_output_literals(c, h, max_lit, out_line);
  // File variable v -> literal in g (inputs are 1..I, ANDs I+1..M).
  std::vector<literal> var_lit(h.M + 1);
  var_lit[0] = lit_false;
  for (std::uint64_t i = 0; i < h.I; ++i) var_lit[i + 1] = g.pi(i);
  c.set_binary(true);
  for (std::uint64_t i = 0; i < h.A; ++i) {
    const std::uint64_t lhs = 2 * (h.I + i + 1);
    std::uint32_t d0 = read_varint(c);
    std::uint32_t d1 = read_varint(c);
    if (d0 == 0)
      c.fail("AND gate " + std::to_string(lhs) + ": first delta is 0 (the gate would feed itself)");
    if (d0 > lhs)
      c.fail("AND gate " + std::to_string(lhs) + ": delta " + std::to_string(d0) +
             " gives a negative literal");
    const std::uint64_t r0 = lhs - d0;
    if (d1 > r0)
      c.fail("AND gate " + std::to_string(lhs) + ": second delta " + std::to_string(d1) +
             " gives a negative literal");
    const std::uint64_t r1 = r0 - d1;
    literal a = lit_not_cond(var_lit[r0 >> 1], r0 & 1u);
    literal b = lit_not_cond(var_lit[r1 >> 1], r1 & 1u);
    var_lit[h.I + i + 1] = g.create_and(a, b);
  }
  c.set_binary(false);
  for (std::uint64_t i = 0; i < h.O; ++i)
    g.create_po(lit_not_cond(var_lit[out_lit[i] >> 1], out_lit[i] & 1u));
  // The symbol table follows; its line numbers are unknown after binary data, so errors name the byte.
  c.set_binary(true);
  read_symbols(c, h).apply(g);
  return g;
}

// ------------------------------------------------------------------------------------------------
// Writing
// ------------------------------------------------------------------------------------------------

/// AIGER numbering: constant 0, inputs 1..I, ANDs I+1..I+A in node order.
std::vector<std::uint32_t> aiger_vars(const aig& g) {
  std::vector<std::uint32_t> var(g.num_nodes(), 0);
  std::uint32_t next = 1;
  for (std::size_t i = 0; i < g.num_pis(); ++i) var[g.pi_node(i)] = next++;
  for (node_id n = 1; n < g.num_nodes(); ++n)
    if (g.is_and(n)) var[n] = next++;
  return var;
}

void write_symbols(const aig& g, std::ostream& out) {
  for (std::size_t i = 0; i < g.num_pis(); ++i)
    if (!g.pi_name(i).empty()) out << 'i' << i << ' ' << g.pi_name(i) << '\n';
  for (std::size_t i = 0; i < g.num_pos(); ++i)
    if (!g.po_name(i).empty()) out << 'o' << i << ' ' << g.po_name(i) << '\n';
  if (!g.comment.empty()) out << "c\n" << g.comment << '\n';
}

void write_varint(std::ostream& out, std::uint32_t x) {
  while (x & ~0x7fu) {
    out.put(static_cast<char>((x & 0x7f) | 0x80));
    x >>= 7;
  }
  out.put(static_cast<char>(x));
}

bool plain_identifier(const std::string& s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char ch : s)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_'))
      return false;
  static const std::set<std::string> reserved = {
      "module", "endmodule", "input", "output", "wire", "assign", "reg", "and",    "or", "not",
      "nand",   "nor",       "xor",   "xnor",   "buf",  "begin",  "end", "always", "if", "else"};
  if (reserved.count(s)) return false;
  // Internal wires are w<n>: keep user names out of that space.
  if (s.size() > 1 && s[0] == 'w' && s.find_first_not_of("0123456789", 1) == std::string::npos) return false;
  return true;
}

/// Names for BLIF/Verilog: the stored name when it is a plain identifier and unique, else pi<k>/po<k>.
struct io_names {
  std::vector<std::string> in, out;
};
io_names make_io_names(const aig& g) {
  io_names r;
  std::set<std::string> used;
  auto pick = [&](const std::string& stored, const std::string& fallback) {
    std::string n = plain_identifier(stored) && !used.count(stored) ? stored : fallback;
    for (int k = 1; used.count(n); ++k) n = fallback + "_" + std::to_string(k);
    used.insert(n);
    return n;
  };
  for (std::size_t i = 0; i < g.num_pis(); ++i) r.in.push_back(pick(g.pi_name(i), "pi" + std::to_string(i)));
  for (std::size_t i = 0; i < g.num_pos(); ++i) r.out.push_back(pick(g.po_name(i), "po" + std::to_string(i)));
  return r;
}

std::string ext_of(const std::filesystem::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char ch) { return char(std::tolower(ch)); });
  return e;
}

}  // namespace

aig parse_aiger(std::string_view content, const std::string& name, const aiger_read_params& params) {
  cursor c(content, name);
  if (content.empty()) c.fail("empty file");
  header h = read_header(c);
  return h.binary ? parse_binary(c, h, params) : parse_ascii(c, h, name);
}

aig read_aiger(const std::filesystem::path& path, const aiger_read_params& params) {
  std::string content = read_file(path);
  return parse_aiger(content, path.string(), params);
}

void write_aiger_ascii(const aig& g, std::ostream& out) {
  auto var = aiger_vars(g);
  auto lit = [&](literal l) { return 2 * std::uint64_t(var[lit_node(l)]) + lit_complemented(l); };
  out << "aag " << g.num_pis() + g.num_ands() << ' ' << g.num_pis() << " 0 " << g.num_pos() << ' '
      << g.num_ands() << '\n';
  for (std::size_t i = 0; i < g.num_pis(); ++i) out << 2 * (i + 1) << '\n';
  for (literal f : g.pos()) out << lit(f) << '\n';
  for (node_id n = 1; n < g.num_nodes(); ++n)
    if (g.is_and(n)) {
      auto a = lit(g.fanin0(n)), b = lit(g.fanin1(n));
      out << 2 * std::uint64_t(var[n]) << ' ' << std::max(a, b) << ' ' << std::min(a, b) << '\n';
    }
  write_symbols(g, out);
}

void write_aiger_binary(const aig& g, std::ostream& out) {
  auto var = aiger_vars(g);
  auto lit = [&](literal l) { return 2 * std::uint64_t(var[lit_node(l)]) + lit_complemented(l); };
  out << "aig " << g.num_pis() + g.num_ands() << ' ' << g.num_pis() << " 0 " << g.num_pos() << ' '
      << g.num_ands() << '\n';
  for (literal f : g.pos()) out << lit(f) << '\n';
  for (node_id n = 1; n < g.num_nodes(); ++n)
    if (g.is_and(n)) {
      auto a = lit(g.fanin0(n)), b = lit(g.fanin1(n));
      auto r0 = std::max(a, b), r1 = std::min(a, b);
      std::uint64_t lhs = 2 * std::uint64_t(var[n]);
      write_varint(out, std::uint32_t(lhs - r0));
      write_varint(out, std::uint32_t(r0 - r1));
    }
  write_symbols(g, out);
}

void write_blif(const aig& g, std::ostream& out, const std::string& model) {
  auto names = make_io_names(g);
  auto signal = [&](node_id n) { return g.is_pi(n) ? names.in[g.pi_index(n)] : "w" + std::to_string(n); };
  out << ".model " << model << "\n.inputs";
  for (auto& n : names.in) out << ' ' << n;
  out << "\n.outputs";
  for (auto& n : names.out) out << ' ' << n;
  out << '\n';
  for (node_id n = 1; n < g.num_nodes(); ++n)
    if (g.is_and(n)) {
      literal a = g.fanin0(n), b = g.fanin1(n);
      out << ".names " << signal(lit_node(a)) << ' ' << signal(lit_node(b)) << ' ' << signal(n) << '\n'
          << (lit_complemented(a) ? '0' : '1') << (lit_complemented(b) ? '0' : '1') << " 1\n";
    }
  for (std::size_t i = 0; i < g.num_pos(); ++i) {
    literal f = g.po(i);
    if (lit_node(f) == 0) {
      out << ".names " << names.out[i] << '\n' << (f == lit_true ? "1\n" : "");
      continue;
    }
    out << ".names " << signal(lit_node(f)) << ' ' << names.out[i] << '\n'
        << (lit_complemented(f) ? '0' : '1') << " 1\n";
  }
  out << ".end\n";
}

void write_verilog(const aig& g, std::ostream& out, const std::string& module) {
  auto names = make_io_names(g);
  auto signal = [&](literal l) -> std::string {
    node_id n = lit_node(l);
    std::string s = n == 0 ? "1'b0" : g.is_pi(n) ? names.in[g.pi_index(n)] : "w" + std::to_string(n);
    return lit_complemented(l) ? "~" + s : s;
  };
  out << "// written by occam\nmodule " << module << " (";
  bool first = true;
  for (auto* list : {&names.in, &names.out})
    for (auto& n : *list) {
      out << (first ? "" : ", ") << n;
      first = false;
    }
  out << ");\n";
  for (auto& n : names.in) out << "  input " << n << ";\n";
  for (auto& n : names.out) out << "  output " << n << ";\n";
  for (node_id n = 1; n < g.num_nodes(); ++n)
    if (g.is_and(n)) out << "  wire w" << n << ";\n";
  for (node_id n = 1; n < g.num_nodes(); ++n)
    if (g.is_and(n))
      out << "  assign w" << n << " = " << signal(g.fanin0(n)) << " & " << signal(g.fanin1(n)) << ";\n";
  for (std::size_t i = 0; i < g.num_pos(); ++i)
    out << "  assign " << names.out[i] << " = " << signal(g.po(i)) << ";\n";
  out << "endmodule\n";
}

void write_pla_truth_table(const aig& g, std::ostream& out, unsigned max_inputs) {
  max_inputs = std::min(max_inputs, 20u);
  if (g.num_pis() > max_inputs)
    throw input_error("a PLA truth table is written for at most " + std::to_string(max_inputs) +
                      " inputs; the circuit has " + std::to_string(g.num_pis()));
  auto tt = truth_tables(g);
  const std::size_t n = g.num_pis();
  data::pla_table t;
  t.num_inputs = static_cast<unsigned>(n);
  t.num_outputs = static_cast<unsigned>(g.num_pos());
  t.type = "fr";
  auto names = make_io_names(g);
  t.input_names = names.in;
  t.output_names = names.out;
  for (std::size_t m = 0; m < (std::size_t(1) << n); ++m) {
    std::string cube(n, '0'), outs(g.num_pos(), '0');
    for (std::size_t i = 0; i < n; ++i) cube[i] = ((m >> i) & 1u) ? '1' : '0';
    for (std::size_t o = 0; o < g.num_pos(); ++o) outs[o] = ((tt[o][m / 64] >> (m % 64)) & 1u) ? '1' : '0';
    t.inputs.push_back(std::move(cube));
    t.outputs.push_back(std::move(outs));
  }
  data::write_pla(t, out);
}

aig read_circuit(const std::filesystem::path& path) {
  std::string e = ext_of(path);
  if (e == ".pla") {
    data::pla_table t = data::read_pla(path);
    aig g;
    std::vector<literal> in;
    for (unsigned i = 0; i < t.num_inputs; ++i)
      in.push_back(g.create_pi(i < t.input_names.size() ? t.input_names[i] : std::string()));
    // One AND per distinct cube, shared by the outputs that list it.
    std::vector<literal> cube_lit(t.inputs.size());
    for (std::size_t r = 0; r < t.inputs.size(); ++r) {
      std::vector<literal> lits;
      for (unsigned i = 0; i < t.num_inputs; ++i)
        if (t.inputs[r][i] != '-') lits.push_back(lit_not_cond(in[i], t.inputs[r][i] == '0'));
      cube_lit[r] = balanced_tree(g, lits, true);
    }
    for (unsigned o = 0; o < t.num_outputs; ++o) {
      std::vector<literal> terms;
      for (std::size_t r = 0; r < t.inputs.size(); ++r)
        if (t.outputs[r][o] == '1') terms.push_back(cube_lit[r]);
      g.create_po(balanced_tree(g, terms, false),
                  o < t.output_names.size() ? t.output_names[o] : std::string());
    }
    return cleanup(g);
  }
  return read_aiger(path);
}

void write_circuit(const aig& g, const std::filesystem::path& path) {
  std::string e = ext_of(path);
  std::string model = path.stem().string();
  if (!plain_identifier(model)) model = "occam";
  if (e == ".aag")
    write_file_atomic(path, [&](std::ostream& o) { write_aiger_ascii(g, o); });
  else if (e == ".aig")
    write_file_atomic(
        path, [&](std::ostream& o) { write_aiger_binary(g, o); }, true);
  else if (e == ".blif")
    write_file_atomic(path, [&](std::ostream& o) { write_blif(g, o, model); });
  else if (e == ".v")
    write_file_atomic(path, [&](std::ostream& o) { write_verilog(g, o, model); });
  else if (e == ".pla")
    write_file_atomic(path, [&](std::ostream& o) { write_pla_truth_table(g, o); });
  else
    throw input_error(path.string(), 0,
                      "unknown circuit file extension '" + e + "' (use .aag .aig .blif .v .pla)");
}

}  // namespace occam::circuit
