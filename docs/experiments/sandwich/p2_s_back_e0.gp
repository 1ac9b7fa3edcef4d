# Regenerate: cd <this directory> && gnuplot p2_s_back_e0.gp
set encoding utf8
data_file = 'p2_s_back_e0.dat'
set title 'P2: round-trip circuit size at L2 error ≤ 0.1 against s*'
set xlabel 's* (best known AND count)'
set ylabel 's_back (AND nodes after ABC)'
set logscale xy
set grid
set key top left
if (!exists("out_png")) out_png = 'p2_s_back_e0.png'
set terminal pngcairo size 900,640 noenhanced
set output out_png
plot data_file index 0 using 1:2 with points pt 7 ps 0.9 lc 1 title 's_back', \
     data_file index 1 using 1:2 with lines lw 1.5 dt 2 lc 2 title 'slope 1 (s = s*)', \
     data_file index 2 using 1:2 with lines lw 1.5 dt 3 lc 3 title 'slope 2 (s = s*²)', \
     data_file index 3 using 1:2 with lines lw 1.5 dt 4 lc 4 title 's_back fit: slope 1.02 [1.00, 1.04] (n = 26)'
set output
if (!exists("out_svg")) out_svg = 'p2_s_back_e0.svg'
set terminal svg size 900,640 noenhanced
set output out_svg
plot data_file index 0 using 1:2 with points pt 7 ps 0.9 lc 1 title 's_back', \
     data_file index 1 using 1:2 with lines lw 1.5 dt 2 lc 2 title 'slope 1 (s = s*)', \
     data_file index 2 using 1:2 with lines lw 1.5 dt 3 lc 3 title 'slope 2 (s = s*²)', \
     data_file index 3 using 1:2 with lines lw 1.5 dt 4 lc 4 title 's_back fit: slope 1.02 [1.00, 1.04] (n = 26)'
set output
