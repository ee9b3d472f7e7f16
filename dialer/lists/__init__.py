"""Calling lists as the OCS keeps them: records, window classes, DNC, treatments and chains,
and the Genesys-format list and DNC files they are read from and written back to."""
