; The Windows installer of Wijkwerk: one file, installed per user without administrator rights
; (managed laptops), built on Linux with Debian's NSIS by `scripts/package-windows`:
;
;   makensis -DVERSION=0.1.0 -DSTAGE=DIR -DOUTFILE=FILE packaging/windows/installer.nsi
;
; STAGE holds what is installed: wijkwerk-desktop.exe (the app), WebView2Loader.dll (next to it,
; the GNU build loads it at start), wijkwerk.exe (the command line) and icon.ico.
; WEBVIEW2_BOOTSTRAPPER, when defined, is the path of Microsoft's MicrosoftEdgeWebview2Setup.exe,
; which is then carried and run when WebView2 is missing (docs/releasing.md says where it comes
; from). Without it, a missing WebView2 is named with what to do; Windows 11 and an up-to-date
; Windows 10 have it already.
;
; What it never touches: the data folder (%LOCALAPPDATA%\wijkwerk) and the settings
; (%APPDATA%\wijkwerk). Installing again, or a newer version over an older one, replaces the
; program files only. An older version over a newer one is refused: the newer one may have
; migrated the store, which an older program does not open.
;
; Exit codes of a silent run (/S): 0 installed, 2 cancelled or refused (the reason is in the
; details, and on the screen when not silent).

Unicode true
Target amd64-unicode
ManifestDPIAware true
RequestExecutionLevel user
!ifdef FAST
  SetCompressor zlib
!else
  SetCompressor /SOLID lzma
!endif

!ifndef VERSION | STAGE | OUTFILE
  !error "Give -DVERSION=x.y.z -DSTAGE=DIR -DOUTFILE=FILE"
!endif

!define PRODUCT "Wijkwerk"
!define PUBLISHER "Wijkwerk"
!define APP_EXE "wijkwerk-desktop.exe"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Wijkwerk"
!define APP_KEY "Software\Wijkwerk"
; Microsoft's product code of the WebView2 Runtime (Evergreen).
!define WEBVIEW2_GUID "{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "WordFunc.nsh"
!include "FileFunc.nsh"

Name "${PRODUCT}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${PRODUCT}"
InstallDirRegKey HKCU "${APP_KEY}" "InstallDir"
BrandingText "${PRODUCT} ${VERSION}"
ShowInstDetails show
ShowUninstDetails show

VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=0 "ProductName" "${PRODUCT}"
VIAddVersionKey /LANG=0 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileDescription" "${PRODUCT} installatie"
VIAddVersionKey /LANG=0 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=0 "LegalCopyright" "${PUBLISHER}"

!define MUI_ICON "${STAGE}\icon.ico"
!define MUI_UNICON "${STAGE}\icon.ico"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\${APP_EXE}"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "Dutch"

Var Installed

Function .onInit
  ; A newer version already here: refuse (its store may be migrated past what this one opens).
  ReadRegStr $Installed HKCU "${UNINSTALL_KEY}" "DisplayVersion"
  ${If} $Installed != ""
    ${VersionCompare} "$Installed" "${VERSION}" $0
    ${If} $0 == 1
      MessageBox MB_ICONSTOP|MB_OK "Er is al een nieuwere versie van ${PRODUCT} geïnstalleerd ($Installed). \
        Deze installatie (${VERSION}) is ouder en wordt niet uitgevoerd; uw gegevens blijven zoals ze zijn." /SD IDOK
      SetErrorLevel 2
      Quit
    ${EndIf}
  ${EndIf}
FunctionEnd

; Sets $0 to the WebView2 version found ("" when none): per machine (64- and 32-bit views) or per
; user, as Microsoft documents for detecting the Evergreen runtime.
Function FindWebView2
  SetRegView 64
  ReadRegStr $0 HKLM "SOFTWARE\WOW6432Node\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_GUID}" "pv"
  ${If} $0 == ""
  ${OrIf} $0 == "0.0.0.0"
    ReadRegStr $0 HKLM "SOFTWARE\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_GUID}" "pv"
  ${EndIf}
  ${If} $0 == ""
  ${OrIf} $0 == "0.0.0.0"
    ReadRegStr $0 HKCU "Software\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_GUID}" "pv"
  ${EndIf}
  SetRegView lastused
  ${If} $0 == "0.0.0.0"
    StrCpy $0 ""
  ${EndIf}
FunctionEnd

Section "Wijkwerk" SecMain
  SetOutPath "$INSTDIR"

  ; The app still open: its program file cannot be replaced. Ask to close it (or stop, silently).
  ${If} ${FileExists} "$INSTDIR\${APP_EXE}"
    retry:
    ClearErrors
    FileOpen $1 "$INSTDIR\${APP_EXE}" a
    ${If} ${Errors}
      MessageBox MB_ICONEXCLAMATION|MB_RETRYCANCEL "${PRODUCT} is nog geopend. Sluit ${PRODUCT} en kies Opnieuw." /SD IDCANCEL IDRETRY retry
      DetailPrint "Gestopt: ${PRODUCT} is nog geopend ($INSTDIR\${APP_EXE})."
      SetErrorLevel 2
      Abort
    ${EndIf}
    FileClose $1
  ${EndIf}

  File "${STAGE}\${APP_EXE}"
  File "${STAGE}\WebView2Loader.dll"
  File "${STAGE}\wijkwerk.exe"
  File "${STAGE}\icon.ico"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateShortCut "$SMPROGRAMS\${PRODUCT}.lnk" "$INSTDIR\${APP_EXE}" "" "$INSTDIR\icon.ico" 0

  WriteRegStr HKCU "${APP_KEY}" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${APP_KEY}" "Version" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\icon.ico"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $2 $3 $4
  IntFmt $2 "0x%08X" $2
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" "$2"

  Call FindWebView2
  ${If} $0 != ""
    DetailPrint "Microsoft Edge WebView2 is aanwezig (versie $0)."
  ${Else}
    !ifdef WEBVIEW2_BOOTSTRAPPER
      DetailPrint "Microsoft Edge WebView2 ontbreekt: het wordt nu geïnstalleerd."
      InitPluginsDir
      File "/oname=$PLUGINSDIR\MicrosoftEdgeWebview2Setup.exe" "${WEBVIEW2_BOOTSTRAPPER}"
      ExecWait '"$PLUGINSDIR\MicrosoftEdgeWebview2Setup.exe" /silent /install' $1
      DetailPrint "WebView2-installatie klaar (code $1)."
    !else
      DetailPrint "Microsoft Edge WebView2 ontbreekt. ${PRODUCT} heeft het nodig om te openen."
      MessageBox MB_ICONINFORMATION|MB_OK "${PRODUCT} is geïnstalleerd, maar Microsoft Edge WebView2 ontbreekt op deze computer. \
        Vraag uw servicedesk om de WebView2 Runtime (Evergreen) van Microsoft te installeren; \
        Windows 11 en een bijgewerkte Windows 10 hebben die al." /SD IDOK
    !endif
  ${EndIf}
  DetailPrint "Uw gegevens staan in $LOCALAPPDATA\wijkwerk en worden door de installatie niet aangeraakt."
SectionEnd

Section "Uninstall"
  Delete "$INSTDIR\${APP_EXE}"
  Delete "$INSTDIR\WebView2Loader.dll"
  Delete "$INSTDIR\wijkwerk.exe"
  Delete "$INSTDIR\icon.ico"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${PRODUCT}.lnk"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
  DeleteRegKey HKCU "${APP_KEY}"
  DetailPrint "Uw gegevens in $LOCALAPPDATA\wijkwerk blijven bewaard; verwijder die map zelf als u ze niet meer nodig hebt."
SectionEnd
