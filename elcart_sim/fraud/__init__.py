"""Attacks with ground truth: injected into a run (``injector``), and how often the checks
caught them, read from the records (``detection``)."""

from elcart_sim.fraud.injector import FraudInjector

__all__ = ["FraudInjector"]
