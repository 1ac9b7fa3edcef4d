// occam.Circuit: AIG files, bit-parallel simulation on numpy arrays, truth tables, synthesis, ABC.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "common.hpp"
#include "occam/circuit/abc.hpp"
#include "occam/circuit/aig.hpp"
#include "occam/circuit/io.hpp"
#include "occam/circuit/simulate.hpp"
#include "occam/circuit/synth.hpp"
#include "occam/util/error.hpp"

namespace occam::python {

namespace fs = std::filesystem;
using circuit::aig;

namespace {

/// A private temporary directory, removed with everything in it when the object goes.
struct temp_dir {
  fs::path path;
  temp_dir() {
    std::random_device rd;
    for (int attempt = 0; attempt < 100; ++attempt) {
      path = fs::temp_directory_path() / ("occam-py-" + std::to_string(rd()));
      if (fs::create_directory(path)) return;
    }
    throw std::runtime_error("cannot create a temporary directory");
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string lower_extension(const fs::path& p) {
  std::string e = p.extension().string();
  for (auto& c : e) c = char(std::tolower(static_cast<unsigned char>(c)));
  return e;
}

/// BLIF and Verilog have no reader in the circuit library: ABC reads them (`read`, `strash`) and writes
/// AIGER, which the project's reader then checks. The file is copied under a fixed name so its path never
/// reaches ABC's command parser.
aig read_through_abc(const fs::path& path, const std::string& ext) {
  if (!fs::exists(path)) throw input_error(path.string(), 0, "no such file");
  temp_dir dir;
  const std::string local = "in" + ext;
  fs::copy_file(path, dir.path / local);
  circuit::abc_params ps;
  const std::string cmd =
      (ext == ".v" ? "read_verilog " : "read_blif ") + local + "; strash; write_aiger -s out.aig";
  try {
    circuit::run_abc(cmd, dir.path, ps);
  } catch (const input_error& e) {
    throw input_error(path.string(), 0, std::string("ABC could not read it: ") + e.what());
  }
  if (!fs::exists(dir.path / "out.aig")) throw input_error(path.string(), 0, "ABC could not read it");
  aig g = circuit::read_aiger(dir.path / "out.aig");
  return g;
}

aig read_any(const std::string& path) {
  const std::string ext = lower_extension(path);
  if (ext == ".blif" || ext == ".v") return read_through_abc(path, ext);
  return circuit::read_circuit(path);
}

/// Validates a bool/uint8 pattern matrix for a circuit with `inputs` inputs.
void check_patterns(const py::array& X, std::size_t inputs) {
  if (X.ndim() != 2)
    throw input_error("X: expected a 2-D array (patterns × inputs), got " + std::to_string(X.ndim()) +
                      " dimension(s)");
  if (!X.dtype().is(py::dtype::of<bool>()) && !X.dtype().is(py::dtype::of<std::uint8_t>()))
    throw input_error("X: expected dtype bool or uint8, got " + std::string(py::str(X.dtype())));
  if (std::size_t(X.shape(1)) != inputs)
    throw input_error("X has " + std::to_string(X.shape(1)) + " columns but the circuit has " +
                      std::to_string(inputs) + " inputs");
}

/// Packs the byte matrix (any strides) into signal-major words, 64 patterns at a time so that the rows read
/// for one word stay in L1. Throws input_error for a byte other than 0 or 1.
circuit::pattern_set pack(const py::array& X) {
  const std::size_t n = std::size_t(X.shape(0)), d = std::size_t(X.shape(1));
  const auto rs = X.strides(0), cs = X.strides(1);
  const auto* base = static_cast<const std::uint8_t*>(X.data());
  circuit::pattern_set ps(d, n);
  const std::size_t words = ps.words();
  std::uint8_t bad = 0;
  for (std::size_t w = 0; w < words; ++w) {
    const std::size_t p0 = w * 64, p1 = std::min(n, p0 + 64);
    for (std::size_t i = 0; i < d; ++i) {
      std::uint64_t word = 0;
      const std::uint8_t* col = base + i * cs;
      for (std::size_t p = p0; p < p1; ++p) {
        const std::uint8_t v = col[p * rs];
        bad |= v;
        word |= std::uint64_t(v & 1u) << (p - p0);
      }
      ps.bits[i * words + w] = word;
    }
  }
  if (bad > 1) {
    for (std::size_t p = 0; p < n; ++p)
      for (std::size_t i = 0; i < d; ++i)
        if (base[p * rs + i * cs] > 1)
          throw input_error("X row " + std::to_string(p) + " column " + std::to_string(i) + " is " +
                            std::to_string(int(base[p * rs + i * cs])) + ", not 0 or 1");
  }
  return ps;
}

py::array simulate_array(const aig& g, const py::array& X, unsigned block_words) {
  check_patterns(X, g.num_pis());
  const std::size_t n = std::size_t(X.shape(0)), m = g.num_pos();
  py::array out(X.dtype(), {py::ssize_t(n), py::ssize_t(m)});
  auto* o = static_cast<std::uint8_t*>(out.mutable_data());
  {
    py::gil_scoped_release nogil;
    circuit::pattern_set in = pack(X);
    circuit::simulation_params sp;
    sp.block_words = block_words;
    const circuit::pattern_set res = circuit::simulate(g, in, sp);
    const std::size_t words = res.words();
    for (std::size_t w = 0; w < words; ++w) {
      const std::size_t p0 = w * 64, p1 = std::min(n, p0 + 64);
      for (std::size_t j = 0; j < m; ++j) {
        const std::uint64_t word = res.bits[j * words + w];
        for (std::size_t p = p0; p < p1; ++p) o[p * m + j] = std::uint8_t((word >> (p - p0)) & 1u);
      }
    }
  }
  return out;
}

/// The signal-major packed form (inputs × ⌈n/64⌉ uint64 words, pattern p = bit p%64 of word p/64) in and out,
/// for callers that keep their patterns packed: no packing cost, the buffer is read in place.
py::array_t<std::uint64_t> simulate_packed(const aig& g,
                                           const py::array_t<std::uint64_t, py::array::c_style>& words,
                                           std::size_t num_patterns) {
  const std::size_t nw = (num_patterns + 63) / 64;
  if (words.ndim() != 2 || std::size_t(words.shape(0)) != g.num_pis() || std::size_t(words.shape(1)) != nw)
    throw input_error("words: expected a C-contiguous uint64 array of shape (" + std::to_string(g.num_pis()) +
                      ", " + std::to_string(nw) + ")");
  py::array_t<std::uint64_t> out({py::ssize_t(g.num_pos()), py::ssize_t(nw)});
  {
    py::gil_scoped_release nogil;
    circuit::pattern_set in;
    in.num_signals = g.num_pis();
    in.num_patterns = num_patterns;
    in.bits.assign(words.data(), words.data() + words.size());
    if (num_patterns % 64 != 0)
      for (std::size_t i = 0; i < g.num_pis(); ++i)
        in.bits[i * nw + nw - 1] &= (std::uint64_t(1) << (num_patterns % 64)) - 1;
    const auto res = circuit::simulate(g, in);
    std::copy(res.bits.begin(), res.bits.end(), out.mutable_data());
  }
  return out;
}

py::dict stats_dict(const aig& g) {
  const auto s = circuit::statistics(g);
  py::dict d;
  d["inputs"] = s.inputs;
  d["outputs"] = s.outputs;
  d["ands"] = s.ands;
  d["stored_ands"] = s.stored_ands;
  d["depth"] = s.depth;
  d["gates_and"] = s.gates_and;
  d["gates_or"] = s.gates_or;
  d["gates_not"] = s.gates_not;
  d["gates_total"] = s.gates_total();
  d["xor_aig_nodes"] = s.xor_aig_nodes;
  d["xor_aig_xors"] = s.xor_aig_xors;
  return d;
}

/// Truth-table rows (outputs × 2^n, minterm order) from a bool/uint8 array; 1-D means one output.
std::vector<circuit::truth_table> tables_from_array(const py::array& table, const py::object& care) {
  auto t = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>::ensure(table);
  if (!t || (t.ndim() != 1 && t.ndim() != 2)) throw input_error("table: expected a 1-D or 2-D 0/1 array");
  const std::size_t outputs = t.ndim() == 1 ? 1 : std::size_t(t.shape(0));
  const std::size_t rows = std::size_t(t.shape(t.ndim() - 1));
  unsigned n = 0;
  while ((std::size_t(1) << n) < rows) ++n;
  if ((std::size_t(1) << n) != rows || n > 20)
    throw input_error("table: the row length must be 2^n minterms with n ≤ 20, got " + std::to_string(rows));
  py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast> c;
  if (!care.is_none()) {
    c = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>::ensure(care);
    if (!c || c.size() != t.size()) throw input_error("care: expected the same shape as table");
  }
  std::vector<circuit::truth_table> res;
  for (std::size_t o = 0; o < outputs; ++o) {
    auto tt = circuit::truth_table::constant(n, false);
    for (std::size_t mt = 0; mt < rows; ++mt) {
      const std::uint8_t v = t.data()[o * rows + mt];
      if (v > 1)
        throw input_error("table row " + std::to_string(o) + " minterm " + std::to_string(mt) +
                          " is not 0 or 1");
      const bool cares = care.is_none() || c.data()[o * rows + mt] != 0;
      tt.set(mt, v != 0, cares);
    }
    res.push_back(std::move(tt));
  }
  return res;
}

}  // namespace

void bind_circuit(py::module_& m) {
  py::class_<aig>(m, "Circuit", "An and-inverter graph (THEORY §4): files, simulation, truth tables, ABC.")
      .def(py::init<>())
      .def_static(
          "read", &read_any, py::arg("path"),
          "Reads .aag/.aig (AIGER), .pla (sum of the on-set cubes), .blif or .v (through berkeley-abc).")
      .def_static(
          "from_aiger",
          [](py::bytes content) { return circuit::parse_aiger(std::string(content), "<bytes>"); },
          py::arg("content"), "Parses AIGER (ASCII or binary) from bytes.")
      .def(
          "to_aiger_bytes",
          [](const aig& g, bool binary) {
            std::ostringstream s;
            if (binary)
              circuit::write_aiger_binary(g, s);
            else
              circuit::write_aiger_ascii(g, s);
            return py::bytes(s.str());
          },
          py::arg("binary") = true)
      .def(
          "write", [](const aig& g, const std::string& path) { circuit::write_circuit(g, path); },
          py::arg("path"), "Writes by extension (.aag .aig .blif .v .pla), atomically.")
      .def_property_readonly("num_inputs", &aig::num_pis)
      .def_property_readonly("num_outputs", &aig::num_pos)
      .def_property_readonly("num_ands", [](const aig& g) { return circuit::statistics(g).ands; })
      .def_property_readonly("depth", [](const aig& g) { return circuit::depth(g); })
      .def_property_readonly("stats", &stats_dict,
                             "circuit::statistics as a dict (ands = reachable AND nodes).")
      .def_property_readonly("input_names",
                             [](const aig& g) {
                               std::vector<std::string> v;
                               for (std::size_t i = 0; i < g.num_pis(); ++i) v.push_back(g.pi_name(i));
                               return v;
                             })
      .def_property_readonly("output_names",
                             [](const aig& g) {
                               std::vector<std::string> v;
                               for (std::size_t i = 0; i < g.num_pos(); ++i) v.push_back(g.po_name(i));
                               return v;
                             })
      .def("cleanup", [](const aig& g) { return circuit::cleanup(g); })
      .def("simulate", &simulate_array, py::arg("X"), py::arg("block_words") = 8,
           "Outputs (patterns × outputs, X's dtype) on a bool/uint8 patterns × inputs array; any strides.")
      .def("simulate_packed", &simulate_packed, py::arg("words"), py::arg("num_patterns"))
      .def(
          "truth_table",
          [](const aig& g) {
            if (g.num_pis() > 20) throw input_error("truth_table: the circuit has more than 20 inputs");
            std::vector<std::vector<std::uint64_t>> tt;
            {
              py::gil_scoped_release nogil;
              tt = circuit::truth_tables(g);
            }
            const std::size_t rows = std::size_t(1) << g.num_pis();
            py::array_t<bool> out({py::ssize_t(g.num_pos()), py::ssize_t(rows)});
            bool* o = out.mutable_data();
            for (std::size_t j = 0; j < g.num_pos(); ++j)
              for (std::size_t mt = 0; mt < rows; ++mt) o[j * rows + mt] = (tt[j][mt / 64] >> (mt % 64)) & 1u;
            return out;
          },
          "outputs × 2^n bool array; minterm m sets input i to bit i of m.")
      .def(
          "optimize",
          [](const aig& g, const std::string& script, bool verify, double timeout_s,
             unsigned deepsyn_seconds) {
            circuit::abc_params ap;
            ap.timeout_s = timeout_s;
            circuit::abc_run_stats rs;
            aig res;
            bool equivalent = true;
            {
              py::gil_scoped_release nogil;
              res = circuit::abc_optimize(g, circuit::expand_abc_script(script, deepsyn_seconds), ap, &rs);
              if (verify) equivalent = circuit::abc_equivalent(g, res, ap);
            }
            if (!equivalent) throw std::runtime_error("ABC's result is not equivalent to the input (cec)");
            py::dict st;
            st["seconds"] = rs.seconds;
            st["script"] = rs.script;
            st["verified"] = verify;
            st["ands_before"] = circuit::statistics(g).ands;
            st["ands_after"] = circuit::statistics(res).ands;
            return py::make_tuple(res, st);
          },
          py::arg("script") = "medium", py::arg("verify") = true, py::arg("timeout_s") = 600.0,
          py::arg("deepsyn_seconds") = 10u,
          "ABC script ('fast', 'medium', 'strong' or a command line); with verify, cec-checked. → (Circuit, "
          "stats)")
      .def(
          "accuracy",
          [](const aig& g, const py::array& X, const py::array& Y) {
            py::array pred = simulate_array(g, X, 8);
            auto y = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>::ensure(Y);
            const std::size_t n = std::size_t(X.shape(0)), m = g.num_pos();
            if (!y || std::size_t(y.size()) != n * m)
              throw input_error("Y: expected " + std::to_string(n) + " × " + std::to_string(m) +
                                " 0/1 targets");
            const auto* p = static_cast<const std::uint8_t*>(pred.data());
            std::size_t correct = 0;
            for (std::size_t i = 0; i < n * m; ++i) correct += p[i] == (y.data()[i] != 0);
            return double(correct) / double(n * m);
          },
          py::arg("X"), py::arg("Y"), "Mean over rows and outputs of correct output bits.")
      .def("__repr__", [](const aig& g) {
        const auto s = circuit::statistics(g);
        return "<occam.Circuit inputs=" + std::to_string(s.inputs) + " outputs=" + std::to_string(s.outputs) +
               " ands=" + std::to_string(s.ands) + " depth=" + std::to_string(s.depth) + ">";
      });

  m.def(
      "synthesize",
      [](const py::array& table, const py::object& care, const std::string& script, bool try_isop,
         bool try_shannon, bool verify) {
        auto tables = tables_from_array(table, care);
        circuit::synth_params sp;
        sp.abc_script = script;
        sp.try_isop = try_isop;
        sp.try_shannon = try_shannon;
        sp.verify = verify;
        circuit::synth_stats st;
        aig g;
        {
          py::gil_scoped_release nogil;
          g = circuit::synthesize_truth_tables(tables, sp, &st);
        }
        py::dict d;
        d["ands"] = st.ands;
        d["depth"] = st.depth;
        d["winner"] = st.winner;
        d["candidates"] = st.candidates;
        d["seconds"] = st.seconds;
        return py::make_tuple(g, d);
      },
      py::arg("table"), py::arg("care") = py::none(), py::arg("abc_script") = "medium",
      py::arg("try_isop") = true, py::arg("try_shannon") = true, py::arg("verify") = true,
      "Truth table(s) (outputs × 2^n, 0/1; optional care mask) → (Circuit, stats): "
      "circuit::synthesize_truth_tables.");

  // Benchmark baseline (bench/python): the library call circuit::simulate timed inside C++ on the packed
  // patterns, best of `repeats`, so Python's overhead can be measured against it.
  m.def(
      "_bench_simulate_cpp",
      [](const aig& g, const py::array_t<std::uint64_t, py::array::c_style>& words, std::size_t num_patterns,
         int repeats) {
        circuit::pattern_set in;
        in.num_signals = g.num_pis();
        in.num_patterns = num_patterns;
        if (std::size_t(words.size()) != g.num_pis() * in.words()) throw input_error("words: wrong size");
        in.bits.assign(words.data(), words.data() + words.size());
        py::gil_scoped_release nogil;
        double best = 1e300;
        for (int r = 0; r < repeats; ++r) {
          const auto t0 = std::chrono::steady_clock::now();
          auto out = circuit::simulate(g, in);
          const auto t1 = std::chrono::steady_clock::now();
          if (out.num_patterns != num_patterns) throw std::logic_error("simulate: wrong size");
          best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
        }
        return best;
      },
      py::arg("circuit"), py::arg("words"), py::arg("num_patterns"), py::arg("repeats") = 5);
}

}  // namespace occam::python
