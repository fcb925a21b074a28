/*
 * postmap_main.c - entry point of postmap(1): Postfix lookup table tool.
 *
 * All work is in postmap.c, shared with postalias.
 */
#include "postmap.h"

int main(int argc, char **argv)
{
    return postmap_main(argc, argv, 0);
}
