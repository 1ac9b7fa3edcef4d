# Decision functions of the spiral experiment (docs/experiments/convex.md). Run from the experiment's output
# directory:  gnuplot -e "model='relu2'" /path/to/convex-spiral.gp   → spiral_relu2.png
if (!exists("model")) model = 'relu2'
set terminal pngcairo size 520,480 font ",10"
set output sprintf("spiral_%s.png", model)
set title sprintf("%s: sign of the recovered network (train points)", model)
set size ratio -1
set xrange [-1.2:1.2]
set yrange [-1.2:1.2]
set view map
set palette defined (-1 "#f4b6b6", 0 "#ffffff", 1 "#b6c8f4")
set cbrange [-1:1]
unset colorbox
set key off
splot sprintf("spiral_%s.dat", model) using 1:2:($3 > 0 ? 1 : -1) with pm3d, \
      "spiral_train.dat" using 1:2:(0):($3 > 0 ? 1 : 2) with points pt 7 ps 0.6 lc variable
