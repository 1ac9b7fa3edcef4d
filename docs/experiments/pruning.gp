# gnuplot docs/experiments/pruning.gp  (from the repository root; -e "dir='OUT'" for another run)  → docs/experiments/pruning.png
# Measured pruning error vs budget N (Poisson mean ± sd over 5 seeds, magnitude) next to R̃/√N (THEORY §2).
if (!exists("dir")) dir = "docs/experiments/pruning-data"
set terminal pngcairo size 1200,480 font ",10"
set output "docs/experiments/pruning.png"
set datafile separator ","
set key autotitle columnhead
set logscale xy
set format y "10^{%T}"
set xlabel "budget N (Σ p_i; parameters kept for magnitude)"
set ylabel "||f_{pruned} − f||_{L2(π)}"
set grid
set key top right
set multiplot layout 1,2
do for [t in "sine majority"] {
  set title sprintf("%s (16×32×4 ResNet, P = 4241)", t eq "sine" ? "sine:2" : "majority:9")
  f = sprintf("%s/%s/curve.csv", dir, t)
  plot f using 1:2:3 with yerrorlines lw 2 title "Poisson (measured)", \
       f using 1:5 with linespoints lw 2 title "magnitude (measured)", \
       f using 1:6 with lines dt 2 lw 2 title "R̃/√N", \
       f using 1:7 with lines dt 3 lw 2 title "sqrt(Σ a_i²/p_i) (water-filled)"
}
unset multiplot
