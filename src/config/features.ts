/**
 * Every feature's configuration (sections, RemoteAE keys, abbreviations, validators),
 * registered before any INI is parsed. Import this module wherever a configuration is
 * read (CLI, config check, agent); the core schema itself knows only the statement's
 * sections.
 */
import '../console/config-section'; // [Console]
import '../ul/tls-config'; // [TLS], RemoteAE tls
import '../print/config'; // [Print], RemoteAE printer keys, presentationLut/printJob
import '../forward/config'; // [Route], [Forward], [Storage] retention keys
import '../web/config'; // [Web]
import '../worklist/config'; // [Worklist], RemoteAE worklist/mpps, mpps
