"""Charts for the notebooks: interactive in JupyterLab, readable as a static image elsewhere.

A `LiveChart` displays as one output carrying three representations of the same altair chart:
the Vega-Lite spec (JupyterLab's Vega renderer, which JupyterLab counts as safe and so uses even
in a notebook that is not trusted: selection, zoom and pan work there), a static SVG (what
nbconvert, GitHub and other viewers without Vega show), and a line of text. Nothing in it is a
script. The pack's HTML does not carry these cells: its charts are the static SVG of `report.py`.
"""

from __future__ import annotations

import json

import altair as alt
import polars as pl
import vl_convert

# JupyterLab (4.x) renders Vega-Lite 3 to 5 specs; altair's simple charts read the same under v5
VEGALITE_MIMETYPE = "application/vnd.vegalite.v5+json"
VEGALITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
WIDTH = 560


def zoom(name: str = "zoom"):
    """Zoom and pan along x (mouse wheel, drag), named so the spec is the same on every run."""
    return alt.selection_interval(name=name, bind="scales", encodings=["x"])


class LiveChart:
    """An altair chart and its title, displayed as Vega-Lite + PNG + text (see the module)."""

    def __init__(self, chart: alt.TopLevelMixin, title: str):
        self.chart, self.title = chart, title

    def spec(self) -> dict:
        spec = self.chart.to_dict()
        spec["$schema"] = VEGALITE_SCHEMA
        return spec

    def svg(self) -> str:
        return vl_convert.vegalite_to_svg(json.dumps(self.chart.to_dict()))

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {VEGALITE_MIMETYPE: self.spec(), "image/svg+xml": self.svg(), "text/plain": f"<chart: {self.title}>"}


def reads_per_day(frame: pl.DataFrame) -> LiveChart:
    """Reads per day by actor type: click a legend entry to highlight it, drag or scroll to zoom the days."""
    pick = alt.selection_point(name="actor_type_pick", fields=["actor_type"], bind="legend")
    chart = alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("day:T", title="day (UTC)"), y=alt.Y("reads:Q"), color="actor_type:N",
        opacity=alt.condition(pick, alt.value(1), alt.value(0.15)),
        tooltip=["day:T", "actor_type:N", "reads:Q"],
    ).add_params(pick, zoom()).properties(width=WIDTH, title="reads per day by actor type")
    return LiveChart(chart, "reads per day by actor type")


def anomalies(frame: pl.DataFrame) -> LiveChart:
    """Anomalies in time: drag along time to select some (the others fade); reasons in tooltips."""
    brush = alt.selection_interval(name="anomaly_brush", encodings=["x"])
    chart = alt.Chart(frame).mark_circle(size=120).encode(
        x=alt.X("first_seen:T", title="first seen"), y=alt.Y("signal:N"), color="severity:N",
        size="events:Q", opacity=alt.condition(brush, alt.value(0.9), alt.value(0.2)),
        tooltip=["signal:N", "severity:N", "first_seen:T", "events:Q", "reason:N"],
    ).add_params(brush).properties(width=WIDTH, title="anomalies in the period")
    return LiveChart(chart, "anomalies in the period")


def rotation_age(frame: pl.DataFrame) -> LiveChart:
    """Each secret's days since rotation (points) against its kind's allowed interval (red ticks)."""
    allowed = alt.Chart(frame).mark_tick(thickness=3, color="#cf222e").encode(x="rotation_days:Q", y="kind:N")
    ages = alt.Chart(frame).mark_circle(size=60).encode(
        x=alt.X("age_days:Q", title="days since rotation"), y=alt.Y("kind:N"),
        tooltip=["secret_id:N", "kind:N", "age_days:Q", "rotation_days:Q"])
    chart = alt.layer(allowed, ages).properties(width=WIDTH, title="rotation age against the allowed interval")
    return LiveChart(chart.add_params(zoom()), "rotation age against the allowed interval")


def counts(frame: pl.DataFrame, *, x: str, y: str, colour: str, title: str, x_title: str = "day (UTC)") -> LiveChart:
    """A count per time step and group (stacked bars): click a legend entry to highlight it; drag or
    scroll to zoom the time axis."""
    pick = alt.selection_point(name=f"{colour}_pick", fields=[colour], bind="legend")
    chart = alt.Chart(frame).mark_bar().encode(
        x=alt.X(f"{x}:T", title=x_title), y=alt.Y(f"{y}:Q"), color=f"{colour}:N",
        opacity=alt.condition(pick, alt.value(1), alt.value(0.15)), tooltip=[f"{x}:T", f"{colour}:N", f"{y}:Q"],
    ).add_params(pick, zoom()).properties(width=WIDTH, title=title)
    return LiveChart(chart, title)
