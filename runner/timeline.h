/*
 * timeline.html of `--report DIR` (DESIGN.md, "Reports"): one
 * self-contained page (inline CSS and SVG; no script, font, image or any
 * other external resource) with an SVG timeline: one row per account,
 * its lease as a band and on it the deploy, test and clean phases as bars
 * coloured by kind and outcome. Every bar is a <rect class="bar KIND">
 * with data-suite / data-account attributes and a <title> naming the
 * suite (or the phase) and its seconds, so a browser shows it on hover
 * and a test can count the bars per suite. A table of suites follows.
 */
#ifndef TP_TIMELINE_H
#define TP_TIMELINE_H

#include "aws/buf.h"
#include "runner/report.h"

/* Append the page to `out`. */
void tp_timeline_html(tp_buf *out, const tp_report *r);

/* Write the page to `path` (mode 0600). 0, or -1 naming the path. */
int tp_timeline_write(const tp_report *r, const char *path);

/* Append `s` escaped for HTML text and attribute values. */
void tp_html_escape(tp_buf *out, const char *s);

#endif
