# Log–log plot of R̃ and certified R of the constructed networks (docs/experiments/construction.md).
set termoption noenhanced
# Data: construction.dat (written by build/bench/tetrakis/construction_experiment construction.dat).
set terminal pngcairo size 1200,420 font ",10"
set output "construction.png"
set multiplot layout 1,3
set logscale xy
set key top left
set grid
set ylabel "complexity"
set xlabel "|C| (AND nodes after cleanup)"
set title "growth with |C|"
plot "< grep '^circuit ' construction.dat" using 2:11 with linespoints title "R, circuit net (§7)", \
     "< grep '^circuit ' construction.dat" using 2:12 with linespoints title "column certificate alone, circuit net", \
     "< grep '^circuit ' construction.dat" using 2:(8*$2) with lines dashtype 2 title "8|C| (Prop 12 bound)", \
     "< grep '^circuit ' construction.dat" using 2:10 with linespoints title "R-tilde, circuit net (§7)", \
     "< grep '^tetrakis-size ' construction.dat" using 2:11 with linespoints title "R, Tetrakis d=2 k=3 (§8)", \
     "< grep '^tetrakis-size ' construction.dat" using 2:10 with linespoints title "R-tilde, Tetrakis d=2 k=3 (§8)"
set xlabel "grid level k"
set title "growth with k (d=2)"
plot "< grep '^tetrakis-level ' construction.dat" using 4:11 with linespoints title "R", \
     "< grep '^tetrakis-level ' construction.dat" using 4:10 with linespoints title "R-tilde"
set xlabel "dimension d"
set title "growth with d (k=3)"
plot "< grep '^tetrakis-dims ' construction.dat" using 5:11 with linespoints title "R", \
     "< grep '^tetrakis-dims ' construction.dat" using 5:10 with linespoints title "R-tilde"
unset multiplot
