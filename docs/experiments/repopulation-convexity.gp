# Objective along the mixture path t ↦ concatenate(a, b, t) against the chord (docs/nfr.md D7).
# gnuplot -e "dir='runs/repopulation'" docs/experiments/repopulation-convexity.gp  → docs/experiments/repopulation-convexity.png
if (!exists("dir")) dir = 'runs/repopulation'
if (!exists("out")) out = 'docs/experiments/repopulation-convexity.png'
set terminal pngcairo size 1000,420 font ",10"
set output out
set datafile separator ","
set key autotitle columnhead
set key outside below horizontal
set multiplot layout 1,2
set xlabel "t"
set ylabel "training objective  loss + λ·R"
set title "ℓ_{1,2}: pair trained with ℓ_{1,2} (exact mixture of R)"
plot dir.'/mix-l12.csv' using 1:5 with linespoints pt 7 ps 0.6 title "objective", \
     '' using 1:6 with lines dt 2 lw 2 title "chord"
set title "plain L2: pair trained with L2 (hidden terms R^a + R^b)"
plot dir.'/mix-l2.csv' using 1:7 with linespoints pt 7 ps 0.6 title "objective", \
     '' using 1:8 with lines dt 2 lw 2 title "chord"
unset multiplot
