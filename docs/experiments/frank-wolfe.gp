# docs/experiments/frank-wolfe.md (run frank-wolfe.sh first).
set terminal pngcairo size 1200,480 font ",10"
set output "frank-wolfe.png"
set multiplot layout 1,2
set title "compiled circuit size vs validation error"
set logscale xy
set xlabel "validation RMSE"
set ylabel "AND nodes"
set key bottom left font ",8"
plot "< grep '^sine:2 real-to-bin' frank-wolfe.dat" using 12:7 with linespoints pt 7 title "FW real-to-bin circuit, sine:2", \
     "< grep '^sine:3 real-to-bin' frank-wolfe.dat" using 12:7 with linespoints pt 5 title "FW real-to-bin circuit, sine:3", \
     "< grep '^sine:2 gates' frank-wolfe.dat" using 12:7 with linespoints pt 1 title "FW real-to-bin circuit, gates gauge, sine:2", \
     "< grep '^sine:3 gates' frank-wolfe.dat" using 12:7 with linespoints pt 2 title "FW real-to-bin circuit, gates gauge, sine:3", \
     "< grep '^sine:2' frank-wolfe-vertex-sums.dat" using 10:6 with linespoints dt 2 pt 6 title "FW vertex sums only (gates gauge), sine:2", \
     "< grep '^sine:3' frank-wolfe-vertex-sums.dat" using 10:6 with linespoints dt 2 pt 4 title "FW vertex sums only (gates gauge), sine:3", \
     "< grep '^sine:2' frank-wolfe-resnet.dat" using 2:3 with points pt 8 title "occam fit (ResNet), sine:2", \
     "< grep '^sine:3' frank-wolfe-resnet.dat" using 2:3 with points pt 10 title "occam fit (ResNet), sine:3"
set title "Frank–Wolfe duality gap and objective (real-to-bin gauge, T = 128, selected tau)"
set xlabel "iteration"
set ylabel "value"
unset logscale x
set logscale y
plot "frank-wolfe-gap.dat" index 0 using 1:3 with lines lw 2 title "gap, sine:2", \
     "frank-wolfe-gap.dat" index 0 using 1:2 with lines dt 2 title "objective, sine:2", \
     "frank-wolfe-gap.dat" index 1 using 1:3 with lines lw 2 title "gap, sine:3", \
     "frank-wolfe-gap.dat" index 1 using 1:2 with lines dt 2 title "objective, sine:3"
unset multiplot
