"""The stats family: classical models (ETS, ARIMA, Theta, seasonal naive) through statsforecast."""
