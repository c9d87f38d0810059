"""The tirex family: NXAI's TiRex-2 (xLSTM), with past and known-future numeric covariates."""
