"""The simulation core: the simulated world (the truth behind each number) and the contact
centre that runs in it on SimPy (the OCS loop, the life of a dial, agents)."""
