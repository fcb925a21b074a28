/*
 * postalias_main.c - entry point of postalias(1) (and newaliases when
 * installed under that name): alias tables in "name: value, ..." syntax.
 *
 * All work is in postmap.c, shared with postmap.
 */
#include "postmap.h"

int main(int argc, char **argv)
{
    return postmap_main(argc, argv, 1);
}
