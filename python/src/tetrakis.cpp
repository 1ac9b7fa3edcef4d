// occam.tetrakis (THEORY §6: simplex location, T_C evaluation) and occam.construct (THEORY §7–8: circuit →
// ResNet).
#include "occam/tetrakis/tetrakis.hpp"
#include "common.hpp"
#include "occam/circuit/aig.hpp"
#include "occam/compile/compile.hpp"
#include "occam/util/error.hpp"

namespace occam::python {

namespace {

tetrakis::grid_map make_map(std::size_t dims, unsigned level, const py::object& lo, const py::object& hi) {
  if (level < 1 || level > 20) throw input_error("level must be in 1..20");
  tetrakis::grid_map g = tetrakis::grid_map::unit(dims, level);
  if (!lo.is_none()) g.lo = lo.cast<std::vector<double>>();
  if (!hi.is_none()) g.hi = hi.cast<std::vector<double>>();
  if (g.lo.size() != dims || g.hi.size() != dims)
    throw input_error("lo and hi must have " + std::to_string(dims) + " entries (one per dimension)");
  for (std::size_t i = 0; i < dims; ++i)
    if (!(g.lo[i] < g.hi[i])) throw input_error("lo < hi is needed at coordinate " + std::to_string(i));
  return g;
}

tetrakis::decoding make_decoding(const std::string& mode, double scale) {
  tetrakis::decoding d;
  d.mode = tetrakis::parse_decoding(mode);
  d.scale = scale;
  return d;
}

void check_tetrakis_circuit(const circuit::aig& c, std::size_t dims, unsigned level) {
  if (c.num_pis() != tetrakis::input_count(dims, level))
    throw input_error("the circuit has " + std::to_string(c.num_pis()) + " inputs; a Tetrakis function on " +
                      std::to_string(dims) + " dimensions at level " + std::to_string(level) + " needs " +
                      std::to_string(tetrakis::input_count(dims, level)));
}

}  // namespace

void bind_tetrakis(py::module_& m) {
  auto t = m.def_submodule("_tetrakis");
  t.def(
      "locate",
      [](std::vector<double> u, unsigned level) {
        if (u.empty()) throw input_error("u: need at least one coordinate");
        const auto s = tetrakis::locate(u, level);
        py::array_t<std::int64_t> verts({py::ssize_t(s.d + 1), py::ssize_t(s.d)});
        for (std::size_t j = 0; j <= s.d; ++j)
          for (std::size_t i = 0; i < s.d; ++i) verts.mutable_at(j, i) = s.vertex(j, i);
        py::dict d;
        d["vertices"] = verts;
        d["weights"] = s.weights;
        d["even"] = s.even;
        d["odd"] = s.odd;
        d["t"] = s.t;
        d["order"] = s.order;
        return d;
      },
      py::arg("u"), py::arg("level"));
  t.def("input_count", &tetrakis::input_count, py::arg("dims"), py::arg("level"));
  t.def(
      "evaluate",
      [](const circuit::aig& c, const py::array& X, unsigned level, const py::object& lo,
         const py::object& hi, const std::string& decoding, double scale) {
        auto x = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(X);
        if (!x || x.ndim() != 2) throw input_error("X: expected a 2-D array (points × dims)");
        const std::size_t dims = std::size_t(x.shape(1));
        auto map = make_map(dims, level, lo, hi);
        check_tetrakis_circuit(c, dims, level);
        auto dec = make_decoding(decoding, scale);
        std::vector<double> xs(x.data(), x.data() + x.size());
        std::vector<double> out;
        {
          py::gil_scoped_release nogil;
          out = tetrakis::tetrakis_function(c, map, dec, xs);
        }
        return py::array_t<double>(out.size(), out.data());
      },
      py::arg("circuit"), py::arg("X"), py::arg("level"), py::arg("lo") = py::none(),
      py::arg("hi") = py::none(), py::arg("decoding") = "twos_complement", py::arg("scale") = 1.0);
  t.def(
      "construct",
      [](const circuit::aig& c, bool use_tetrakis, unsigned level, std::size_t dims, const py::object& lo,
         const py::object& hi, const std::string& decoding, double scale) {
        py::dict st;
        nn::resnet r;
        if (!use_tetrakis) {
          compile::circuit_network_stats s;
          auto net = compile::circuit_to_network(c, &s);
          data::box b;
          b.lo.assign(c.num_pis(), -1.0f);
          b.hi.assign(c.num_pis(), 1.0f);
          r = compile::to_resnet(net, b);
          st["ands"] = s.ands;
          st["blocks"] = s.blocks;
          st["width"] = s.width;
          st["hidden"] = s.hidden;
          st["neurons"] = s.neurons;
          st["nonzero_parameters"] = s.nonzero_parameters;
        } else {
          auto map = make_map(dims, level, lo, hi);
          check_tetrakis_circuit(c, dims, level);
          compile::tetrakis_network_stats s;
          auto net = compile::tetrakis_to_network(c, map, make_decoding(decoding, scale), &s);
          data::box b;
          for (std::size_t i = 0; i < dims; ++i) {
            b.lo.push_back(float(map.lo[i]));
            b.hi.push_back(float(map.hi[i]));
          }
          r = compile::to_resnet(net, b);
          st["ands"] = s.ands;
          st["blocks"] = s.blocks;
          st["width"] = s.width;
          st["hidden"] = s.hidden;
          st["neurons"] = s.neurons;
          st["nonzero_parameters"] = s.nonzero_parameters;
          st["sorting_comparators"] = s.sorting_comparators;
        }
        return py::make_tuple(r, st);
      },
      py::arg("circuit"), py::arg("tetrakis") = false, py::arg("level") = 4, py::arg("dims") = 1,
      py::arg("lo") = py::none(), py::arg("hi") = py::none(), py::arg("decoding") = "twos_complement",
      py::arg("scale") = 1.0);
}

}  // namespace occam::python
