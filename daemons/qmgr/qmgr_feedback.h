/*
 * qmgr_feedback.h - the per-destination concurrency feedback settings
 * (default_destination_concurrency_positive_feedback,
 * ..._negative_feedback and their TRANSPORT_ forms): parsing a value and
 * turning it into an amount for the current concurrency window.
 *
 * A value is a non-negative number ("1", "0.05"), a fraction ("1/8"), or
 * an amount per window ("1/concurrency": each delivery moves the window
 * by 1/window, so a whole window of results moves it by one). Parsing is
 * strict: anything else is an error naming the value, never a guess.
 */
#ifndef POSTERN_DAEMONS_QMGR_FEEDBACK_H
#define POSTERN_DAEMONS_QMGR_FEEDBACK_H

#include "util/buf.h"

struct qmgr_feedback {
    double amount;  /* the number, or the numerator of "N/concurrency" */
    int per_window; /* divide by the current window */
};

/* Parses text; 0, or -1 with the reason in err. */
int qmgr_feedback_parse(const char *text, struct qmgr_feedback *fb, struct buf *err);

/* The amount for one delivery result with the window at window (>= 1). */
double qmgr_feedback_amount(const struct qmgr_feedback *fb, int window);

#endif
