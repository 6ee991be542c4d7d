#pragma once
// Cooperative Ctrl-C handling: the signal only sets a flag, and long loops poll
// it at safe points so they can clean up (remove temporaries, save state).
namespace calo
{
//! Install SIGINT/SIGTERM handlers that set the interrupt flag.
void install_interrupt_handler();
//! True once SIGINT or SIGTERM was received.
bool interrupt_requested();
//! Throw calo::Interrupted if an interrupt was requested.
void throw_if_interrupted();
//! For tests: set or clear the flag.
void set_interrupt_requested(bool value);
}  // namespace calo
