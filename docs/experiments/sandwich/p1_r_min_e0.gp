# Regenerate: cd <this directory> && gnuplot p1_r_min_e0.gp
set encoding utf8
data_file = 'p1_r_min_e0.dat'
set title 'P1: least complexity at L2 error ≤ 0.1 against s*'
set xlabel 's* (best known AND count)'
set ylabel 'complexity'
set logscale xy
set grid
set key top left
if (!exists("out_png")) out_png = 'p1_r_min_e0.png'
set terminal pngcairo size 900,640 noenhanced
set output out_png
plot data_file index 0 using 1:2 with points pt 7 ps 0.9 lc 1 title 'R_min', \
     data_file index 1 using 1:2 with points pt 7 ps 0.9 lc 2 title 'R̃_min', \
     data_file index 2 using 1:2 with points pt 7 ps 0.9 lc 3 title '§7 construction R', \
     data_file index 3 using 1:2 with lines lw 1.5 dt 4 lc 4 title 'R_min fit: slope 0.91 [0.67, 1.14] (n = 26)', \
     data_file index 4 using 1:2 with lines lw 1.5 dt 1 lc 5 title 'R̃_min fit: slope 0.73 [0.54, 0.92] (n = 26)'
set output
if (!exists("out_svg")) out_svg = 'p1_r_min_e0.svg'
set terminal svg size 900,640 noenhanced
set output out_svg
plot data_file index 0 using 1:2 with points pt 7 ps 0.9 lc 1 title 'R_min', \
     data_file index 1 using 1:2 with points pt 7 ps 0.9 lc 2 title 'R̃_min', \
     data_file index 2 using 1:2 with points pt 7 ps 0.9 lc 3 title '§7 construction R', \
     data_file index 3 using 1:2 with lines lw 1.5 dt 4 lc 4 title 'R_min fit: slope 0.91 [0.67, 1.14] (n = 26)', \
     data_file index 4 using 1:2 with lines lw 1.5 dt 1 lc 5 title 'R̃_min fit: slope 0.73 [0.54, 0.92] (n = 26)'
set output
