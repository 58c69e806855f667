"""Receivables analytics over a snapshot: KPIs, the cash-in forecast, the insured book, the policy backtest."""
