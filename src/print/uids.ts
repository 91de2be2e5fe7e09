/**
 * Print Management (PS3.4 Annex H) SOP classes, well-known instances and the attribute
 * tags the SCP and SCU read. Registers the two print SOP classes that may be negotiated
 * beside the Meta SOP classes (H.2.1), with INI abbreviations `presentationLut` and
 * `printJob`, so `[Server] scp = basicGrayPrint, presentationLut` works.
 */
import { newUid } from '../dicom/uids';
import { registerSopClasses } from '../dicom/sop-classes';

/** PS3.4 H.2.1 / PS3.6 Annex A. */
export const UID = {
  GrayMeta: '1.2.840.10008.5.1.1.9',
  ColorMeta: '1.2.840.10008.5.1.1.18',
  FilmSession: '1.2.840.10008.5.1.1.1',
  FilmBox: '1.2.840.10008.5.1.1.2',
  GrayImageBox: '1.2.840.10008.5.1.1.4',
  ColorImageBox: '1.2.840.10008.5.1.1.4.1',
  Printer: '1.2.840.10008.5.1.1.16',
  /** H.4.2.1.1: the Printer SOP instance is well known. */
  PrinterInstance: '1.2.840.10008.5.1.1.17',
  PrintJob: '1.2.840.10008.5.1.1.14',
  PresentationLut: '1.2.840.10008.5.1.1.23',
} as const;

export const META_CLASSES: readonly string[] = [UID.GrayMeta, UID.ColorMeta];

/** Attributes of PS3.3 C.13 (Print Management modules). */
export const TAG = {
  SpecificCharacterSet: 0x00080005,
  Manufacturer: 0x00080070,
  ManufacturerModelName: 0x00081090,
  DeviceSerialNumber: 0x00181000,
  SoftwareVersions: 0x00181020,
  ReferencedSopClassUid: 0x00081150,
  ReferencedSopInstanceUid: 0x00081155,
  SamplesPerPixel: 0x00280002,
  Photometric: 0x00280004,
  PlanarConfiguration: 0x00280006,
  Rows: 0x00280010,
  Columns: 0x00280011,
  PixelAspectRatio: 0x00280034,
  BitsAllocated: 0x00280100,
  BitsStored: 0x00280101,
  HighBit: 0x00280102,
  PixelRepresentation: 0x00280103,
  PixelData: 0x7fe00010,
  // C.13.1 Basic Film Session
  NumberOfCopies: 0x20000010,
  PrintPriority: 0x20000020,
  MediumType: 0x20000030,
  FilmDestination: 0x20000040,
  FilmSessionLabel: 0x20000050,
  MemoryAllocation: 0x20000060,
  ReferencedFilmBoxSequence: 0x20000500,
  // C.13.3 Basic Film Box
  ImageDisplayFormat: 0x20100010,
  AnnotationDisplayFormatId: 0x20100030,
  FilmOrientation: 0x20100040,
  FilmSizeId: 0x20100050,
  MagnificationType: 0x20100060,
  SmoothingType: 0x20100080,
  BorderDensity: 0x20100100,
  EmptyImageDensity: 0x20100110,
  MinDensity: 0x20100120,
  MaxDensity: 0x20100130,
  Trim: 0x20100140,
  ConfigurationInformation: 0x20100150,
  RequestedResolutionId: 0x20200050,
  ReferencedFilmSessionSequence: 0x20100500,
  ReferencedImageBoxSequence: 0x20100510,
  ReferencedBasicAnnotationBoxSequence: 0x20100520,
  // C.13.5 Image Box
  ImageBoxPosition: 0x20200010,
  Polarity: 0x20200020,
  RequestedImageSize: 0x20200030,
  RequestedDecimateCropBehavior: 0x20200040,
  BasicGrayscaleImageSequence: 0x20200110,
  BasicColorImageSequence: 0x20200111,
  ReferencedPresentationLutSequence: 0x20500500,
  PresentationLutShape: 0x20500020,
  // C.13.9 Print Job, C.13.9 Printer
  ExecutionStatus: 0x21000020,
  ExecutionStatusInfo: 0x21000030,
  CreationDate: 0x21000040,
  CreationTime: 0x21000050,
  Originator: 0x21000070,
  DestinationAe: 0x21000140,
  OwnerId: 0x21000160,
  ReferencedPrintJobSequence: 0x21000500,
  PrinterStatus: 0x21100010,
  PrinterStatusInfo: 0x21100020,
  PrinterName: 0x21100030,
  PrintQueueId: 0x21100099,
} as const;

let registered = false;
/** Idempotent: adds Print Job and Presentation LUT to the SOP class table. */
export function registerPrintSopClasses(): void {
  if (registered) return;
  registered = true;
  registerSopClasses([
    { uid: UID.PresentationLut, name: 'Presentation LUT SOP Class', category: 'print', abbreviation: 'presentationLut' },
    { uid: UID.PrintJob, name: 'Print Job SOP Class', category: 'print', abbreviation: 'printJob' },
    { uid: UID.FilmSession, name: 'Basic Film Session SOP Class', category: 'print' },
    { uid: UID.FilmBox, name: 'Basic Film Box SOP Class', category: 'print' },
    { uid: UID.GrayImageBox, name: 'Basic Grayscale Image Box SOP Class', category: 'print' },
    { uid: UID.ColorImageBox, name: 'Basic Color Image Box SOP Class', category: 'print' },
    { uid: UID.Printer, name: 'Printer SOP Class', category: 'print' },
  ]);
}
registerPrintSopClasses();

export { newUid };
