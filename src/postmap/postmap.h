/*
 * postmap.h - the one implementation behind postmap, postalias and newaliases.
 *
 * Each program's main() calls postmap_main(); alias_mode selects postalias
 * syntax ("name: value") and output ("key:<TAB>value"). argv[0] named
 * "newaliases" rebuilds alias_database when no table is named.
 */
#ifndef POSTERN_POSTMAP_POSTMAP_H
#define POSTERN_POSTMAP_POSTMAP_H

int postmap_main(int argc, char **argv, int alias_mode);

#endif
